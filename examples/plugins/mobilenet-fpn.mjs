// A minimal edge-stl algorithm plugin. Name this file as a module's `url` in an Ianvs algorithm
// yaml (or load it with ClassFactory.registerFromModule): edge-stl calls register() with its own
// ClassFactory, so the plugin needs no import of edge-stl and works from any directory.
//
// It registers "MobileNetFPN": the built-in FPN detector with a MobileNetV2 backbone by default.
export function register(factory, types) {
  const FPN = factory.get(types.GENERAL, 'FPN');
  class MobileNetFPN extends FPN {
    constructor(hyperparameters = {}) {
      super({ backbone: 'mobilenetv2', ...hyperparameters });
    }
  }
  factory.register(types.GENERAL, 'MobileNetFPN')(MobileNetFPN);
}
