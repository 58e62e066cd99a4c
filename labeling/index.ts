export { startLabeling, type LabelingConfig, type LabelingService } from './server.js';
export { labelingApp, type LabelingAppOptions, type LabelingJob } from './app.js';
export { autoLabel, type AutoLabelOptions, type AutoLabelReport } from './auto-labeler.js';
export { LabeledIndex } from './labeled-index.js';
export { GroundTruthOracle } from './ground-truth-oracle.js';
export { loadTeacher, newestModelKey, type Teacher } from './teacher-model.js';
export { saveLabels, readSample, type SampleRef, type LabelMeta } from './label-writer.js';
export { listSamples, labelMetaKey, type SampleListing, type SampleEntry } from './sample-queue.js';
export { LABEL_METHODS, type LabelBox, type LabelMethod } from './label-box.js';
