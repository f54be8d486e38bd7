// swift-tools-version:6.0
// An example run-time plugin for dlc: the `swish` op and the `swish_dense` layer.
// Built on its own (it is not part of dlc's package) into libDLCSwish.so, then loaded with
// `dlc --plugin .build/release/libDLCSwish.so …`. See docs/plugins.md.
import PackageDescription

let package = Package(
    name: "DLCSwish",
    products: [
        // A dynamic library: the file `dlc --plugin` loads.
        .library(name: "DLCSwish", type: .dynamic, targets: ["DLCSwish"]),
    ],
    dependencies: [
        // The plugin API, from the same source as the dlc that will load the plugin.
        .package(path: "../../../Packages/DLCCore"),
    ],
    targets: [
        .target(name: "DLCSwish", dependencies: [.product(name: "DLCCore", package: "DLCCore")],
                swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
