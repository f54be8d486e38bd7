// The built-in ops and layers of dlc, registered as a plugin like any other.
import DLCCore

/// The built-in plugin: every primitive op (elementwise, matmul, reductions, shape ops,
/// convolution, pooling, normalization, losses, random) and every built-in layer (dense,
/// conv2d, conv_transpose2d, batchnorm, layernorm, embedding, rnn, lstm, gru).
/// Visible without `use`.
public let builtinPlugin = Plugin(
    name: "builtin",
    summary: "the built-in ops and layers",
    implicit: true
) { registry in
    try registerElementwise(registry)
    try registerMatMul(registry)
    try registerReductions(registry)
    try registerShapeOps(registry)
    try registerJoining(registry)
    try registerIndexing(registry)
    try registerConvolution(registry)
    try registerPooling(registry)
    try registerNormalization(registry)
    try registerBatchNormTraining(registry)
    try registerLosses(registry)
    try registerRandom(registry)
    try registerDenseLayers(registry)
    try registerConvLayers(registry)
    try registerNormLayers(registry)
    try registerRecurrentLayers(registry)
    try registerGradients(registry)
}
