export { CorruptImageError } from './corrupt-image-error.js';
export {
  loadImage,
  imageSize,
  imageName,
  resizedSize,
  SUPPORTED_IMAGE_FORMATS,
  type RgbImage,
  type ResizedImage,
} from './decode.js';
export { drawDetections } from './draw.js';
export { verifyImage, type VerifiedImage } from './verify-image.js';
