// swift-tools-version:6.0
// The plugin API of dlc: the IR, the op/layer/pass registries, diagnostics.
// Packaged on its own as a dynamic library so that the `dlc` executable and every
// run-time plugin link one shared copy (one registry, working casts across the boundary).
import PackageDescription

let package = Package(
    name: "DLCCore",
    products: [
        .library(name: "DLCCore", type: .dynamic, targets: ["DLCCore"]),
    ],
    targets: [
        .target(name: "DLCCore", swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
