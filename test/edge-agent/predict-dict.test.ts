import { detectionsFromPredictDict } from '../../edge-agent/predict-dict.js';

describe('detectionsFromPredictDict', () => {
  it('maps [ymin, xmin, ymax, xmax, score] rows of the 640-short-side frame back to original pixels', () => {
    const dict = {
      'a.jpg': [
        { name: 'car', bbox: [[64, 128, 320, 640, 0.9]] },
        { name: 'bus', bbox: [] },
      ],
    };
    // 1280x960 original: short side 960 → frame scale 640 / 960.
    expect(detectionsFromPredictDict(dict, 'a.jpg', 1280, 960)).toEqual([
      { class: 'car', score: 0.9, box: { xmin: 192, ymin: 96, xmax: 960, ymax: 480 } },
    ]);
    expect(detectionsFromPredictDict(dict, 'missing.jpg', 10, 10)).toEqual([]);
  });
});
