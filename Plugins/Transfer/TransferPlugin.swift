// The `transfer` plugin: starting a model from trained weights. It registers no ops or
// layers; `use transfer` in a `.dlg` file unlocks the train settings `init:` (load
// weights from a safetensors, `.npz`, checkpoint file or run directory, with name mapping
// and one report of what matched) and `freeze:` (parameters that are not trained). The
// loaders, the name mapping, the report and the freeze patterns live in this module.
import DLCCore

/// `use transfer` in a `.dlg` file makes the train settings `init:` and `freeze:` available.
public let transferPlugin = Plugin(name: "transfer",
                                   summary: "the train settings init: load(...) (pretrained weights, name mapping) and freeze: [...]") { _ in }

/// The train settings the transfer plugin provides (checked by the front end).
public let transferTrainSettings = ["init", "freeze"]
