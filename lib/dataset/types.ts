/** One line of an Ianvs `index.txt`, resolved: absolute image and annotation paths. */
export interface DatasetSample {
  /** Absolute local path of the image. */
  imagePath: string;
  /** Absolute local path of the Pascal VOC XML annotation; absent for unlabeled data. */
  annotationPath?: string;
}

/** A dataset as the algorithms see it: local files, in index order. */
export interface Dataset {
  /** Where the index came from (local path or s3:// URI), for messages and manifests. */
  source: string;
  samples: DatasetSample[];
}

/** A box in original image pixels, VOC convention (1-based inclusive pixels as written in the XML). */
export interface VocObject {
  name: string;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  difficult?: boolean;
}

/** A Pascal VOC annotation file. */
export interface VocAnnotation {
  filename: string;
  width: number;
  height: number;
  depth?: number;
  objects: VocObject[];
}
