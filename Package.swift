// swift-tools-version:6.0
import PackageDescription

// The plugin API (IR, registries, diagnostics) is its own package with a dynamic library
// product, so that `dlc` and run-time plugins share one copy of it (see docs/architecture.md).
let core: Target.Dependency = .product(name: "DLCCore", package: "DLCCore")
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "dlc",
    products: [
        .executable(name: "dlc", targets: ["dlc"]),
        .library(name: "DLCDriver", targets: ["DLCDriver"]),
    ],
    dependencies: [
        .package(path: "Packages/DLCCore"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "DLCFrontend", dependencies: [core], swiftSettings: swift5),
        .target(name: "DLCOps", dependencies: [core], swiftSettings: swift5),
        .target(name: "DLCPasses", dependencies: [core], swiftSettings: swift5),
        // The training step as one graph: loss, penalties, gradients, clipping, optimizer updates.
        .target(name: "DLCTraining", dependencies: [core, "DLCPasses"], swiftSettings: swift5),
        // Training runs: data, the training loop on the CPU back end, evaluation.
        .target(name: "DLCExperiment", dependencies: [core, "DLCTraining", "DLCCPU", "DLCData", "DLCDriver", "DLCTransfer",
                                                      "DLCFrontend", "DLCReference"], swiftSettings: swift5),
        .target(name: "DLCReference", dependencies: [core], swiftSettings: swift5),
        // The CPU back end: oneDNN as a system library, own kernels in C (optimized even in
        // debug builds; the multi-segment fused kernel runs on libgomp's threads), and DLCCPU (plans,
        // memory planner, executor, .dlp files).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])], linkerSettings: [.linkedLibrary("gomp")]),
        .target(name: "DLCCPU", dependencies: [core, "CDNNL", "CKernels"], swiftSettings: swift5),
        // Data loading for training; CDLCData embeds the digits data set and wraps zlib.
        .target(name: "CDLCData", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "DLCData", dependencies: [core, "CDLCData"], swiftSettings: swift5),
        // Diagrams: Graphviz (libgvc, libcgraph) as a system library, drawn in-process.
        .systemLibrary(name: "CGraphviz", pkgConfig: "libgvc", providers: [.apt(["libgraphviz-dev"])]),
        .target(name: "DLCRender", dependencies: [core, "CGraphviz"], swiftSettings: swift5),
        .target(name: "DLCDriver", dependencies: [core, "DLCFrontend", "DLCOps", "DLCPasses", "DLCResNet", "DLCAttention", "DLCTransfer", "DLCTraining",
                                                  "DLCData", "DLCCPU", "DLCReference", "DLCRender"],
                swiftSettings: swift5),
        // Layer plugins: they see only the plugin API (DLCCore). `path:` because SwiftPM's own
        // package plugins would otherwise claim the Plugins/ folder.
        .target(name: "DLCResNet", dependencies: [core], path: "Plugins/ResNet", swiftSettings: swift5),
        // The attention plugin's own f32 kernels in C (oneDNN sgemm per head, libgomp threads).
        .target(name: "CAttentionKernels", path: "Plugins/Attention/Kernels", cSettings: [.unsafeFlags(["-O3"])],
                linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]),
        .target(name: "DLCAttention", dependencies: [core, "CAttentionKernels"], path: "Plugins/Attention", exclude: ["Kernels"],
                swiftSettings: swift5),
        // Transfer learning: weight files (safetensors, .npz, checkpoints), name mapping, freezing.
        .target(name: "DLCTransfer", dependencies: [core, "DLCData", "DLCFrontend"], path: "Plugins/Transfer", swiftSettings: swift5),
        // Run-time plugins: dlopen, the ABI check, installation (docs/plugins.md).
        .target(name: "DLCPluginLoader", dependencies: [core], swiftSettings: swift5),
        .executableTarget(name: "dlc", dependencies: [
            "DLCDriver", "DLCExperiment", "DLCData", "DLCTransfer", "DLCReference", "DLCRender", "DLCPluginLoader", core,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swift5),
        .target(name: "_DLCTestSupport", dependencies: [core, "DLCDriver"], swiftSettings: swift5),
        .testTarget(name: "DLCTrainingTests", dependencies: [core, "DLCTraining", "DLCPasses", "DLCOps", "DLCReference",
                                                            "DLCDriver", "DLCExperiment", "DLCCPU", "_DLCTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swift5),
        .testTarget(name: "DLCOpsTests", dependencies: [core, "DLCOps", "_DLCTestSupport"], swiftSettings: swift5),
        .testTarget(name: "DLCReferenceTests", dependencies: [core, "DLCReference", "DLCOps", "_DLCTestSupport"],
                    exclude: ["fixtures"], swiftSettings: swift5),
        .testTarget(name: "DLCPassesTests", dependencies: [core, "DLCPasses", "DLCOps", "DLCReference", "_DLCTestSupport"],
                    swiftSettings: swift5),
        .testTarget(name: "DLCFrontendTests", dependencies: [core, "DLCFrontend", "DLCOps", "_DLCTestSupport"], swiftSettings: swift5),
        .testTarget(name: "DLCCPUTests", dependencies: [core, "DLCCPU", "CKernels", "DLCOps", "DLCReference", "DLCDriver", "DLCTraining", "DLCData",
                                                       "_DLCTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swift5),
        .testTarget(name: "DLCDataTests", dependencies: [core, "DLCData", "_DLCTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swift5),
        .testTarget(name: "DLCRenderTests", dependencies: [core, "DLCRender", "DLCDriver", "_DLCTestSupport"],
                    exclude: ["Golden"], swiftSettings: swift5),
        // Builds the example plugin package (Plugins/Examples/Swish) and loads it.
        .testTarget(name: "DLCPluginTests", dependencies: [core, "DLCPluginLoader", "DLCDriver", "DLCExperiment",
                                                          "DLCReference", "DLCPasses", "DLCCPU", "_DLCTestSupport"], swiftSettings: swift5),
        .testTarget(name: "DLCAttentionTests", dependencies: [core, "DLCAttention", "DLCDriver", "DLCReference", "DLCCPU",
                                                             "DLCTraining", "DLCPasses", "_DLCTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swift5),
        .testTarget(name: "DLCTransferTests", dependencies: [core, "DLCTransfer", "DLCData", "DLCDriver", "DLCExperiment",
                                                            "DLCTraining", "DLCCPU", "DLCPasses", "_DLCTestSupport"],
                    exclude: ["Fixtures"], swiftSettings: swift5),
        .testTarget(name: "DLCDriverTests", dependencies: [core, "DLCDriver", "DLCFrontend", "DLCData", "_DLCTestSupport"],
                    exclude: ["Golden", "Invalid"], swiftSettings: swift5),
    ]
)
