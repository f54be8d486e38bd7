// Loading run-time plugins: shared libraries built against the plugin API (DLCCore) that
// export `dlc_plugin_register`. The contract is in docs/plugins.md, "The ABI contract".
import DLCCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a plugin library could not be loaded. `description` is the whole message, naming the file.
public struct PluginLoadError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Equatable {
        case missingFile, notALibrary, missingEntryPoint, abiMismatch, pluginFailed, registration
    }

    public let path: String
    public let kind: Kind
    public let message: String

    public var description: String { "cannot load plugin \(path): \(message)" }
}

/// What the loader did for one library.
public struct LoadedLibrary {
    public let path: String
    /// The names of the plugins it installed.
    public let plugins: [String]
}

/// Loads plugin libraries into a registry.
public enum PluginLoader {
    /// The entry point every plugin library exports.
    public static let entrySymbol = "dlc_plugin_register"
    /// The environment variable with extra plugins: a colon-separated list of `.so` files or
    /// directories (whose `lib*.so` files are loaded in name order; `libDLCCore.so`, which
    /// SwiftPM puts beside every plugin it builds, is skipped).
    public static let environmentVariable = "DLC_PLUGIN_PATH"

    private typealias Entry = @convention(c) (Int32) -> Int32

    /// Loads one library and installs the plugins it offers into `registry`.
    /// - Throws: `PluginLoadError` naming the file.
    @discardableResult
    public static func load(_ path: String, into registry: Registry) throws -> LoadedLibrary {
        func fail(_ kind: PluginLoadError.Kind, _ message: String) -> PluginLoadError {
            PluginLoadError(path: path, kind: kind, message: message)
        }
        var st = stat()
        guard stat(path, &st) == 0 else { throw fail(.missingFile, "no such file") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw fail(.missingFile, "not a regular file") }
        // dlopen wants a path with a slash to avoid searching the library path.
        let openPath = path.contains("/") ? path : "./" + path
        guard let handle = dlopen(openPath, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown error"
            throw fail(.notALibrary, "not a loadable shared library (\(why))")
        }
        _ = dlerror()
        guard let symbol = dlsym(handle, entrySymbol) else {
            dlclose(handle)
            throw fail(.missingEntryPoint, "it is a shared library but not a dlc plugin: it does not export '\(entrySymbol)' (declare it with @_cdecl(\"\(entrySymbol)\"))")
        }
        let entry = unsafeBitCast(symbol, to: Entry.self)
        _ = PluginExports.take()  // nothing stale from an earlier failure
        let version = entry(dlcPluginABIVersion)
        let offered = PluginExports.take()
        if version < 0 {
            throw fail(.pluginFailed, "its \(entrySymbol) failed with code \(version)")
        }
        guard version == dlcPluginABIVersion else {
            throw fail(.abiMismatch, "it was built for plugin ABI version \(version), but this dlc has version \(dlcPluginABIVersion); rebuild the plugin against this dlc's DLCCore")
        }
        guard !offered.isEmpty else {
            throw fail(.pluginFailed, "its \(entrySymbol) offered no plugins (call PluginExports.offer)")
        }
        var names: [String] = []
        for plugin in offered {
            do {
                try registry.install(plugin, from: path)
                names.append(plugin.name)
            } catch let e as DLCError {
                throw fail(.registration, "plugin '\(plugin.name)': \(e.message)")
            } catch {
                throw fail(.registration, "plugin '\(plugin.name)': \(error)")
            }
        }
        // The handle stays open: the registry now holds the library's code.
        return LoadedLibrary(path: path, plugins: names)
    }

    /// The libraries named by a `DLC_PLUGIN_PATH` value: files as given, directories
    /// expanded to their `lib*.so` files in name order except `libDLCCore.so`; empty entries
    /// are skipped.
    /// - Throws: `PluginLoadError` for an entry that does not exist.
    public static func libraries(inSearchPath value: String) throws -> [String] {
        var result: [String] = []
        for entry in value.split(separator: ":", omittingEmptySubsequences: true).map(String.init) {
            var st = stat()
            guard stat(entry, &st) == 0 else {
                throw PluginLoadError(path: entry, kind: .missingFile, message: "no such file or directory (from \(environmentVariable))")
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                guard let dir = opendir(entry) else { continue }
                var names: [String] = []
                while let e = readdir(dir) {
                    let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                    if name.hasPrefix("lib"), name.hasSuffix(".so"), name != "libDLCCore.so" { names.append(name) }
                }
                closedir(dir)
                result += names.sorted().map { (entry.hasSuffix("/") ? entry : entry + "/") + $0 }
            } else {
                result.append(entry)
            }
        }
        return result
    }

    /// Loads the libraries of `DLC_PLUGIN_PATH` (if set), then `paths`, in order.
    /// - Throws: `PluginLoadError` for the first library that fails.
    @discardableResult
    public static func loadAll(_ paths: [String], environment: String? = getenv(environmentVariable).map { String(cString: $0) },
                               into registry: Registry) throws -> [LoadedLibrary] {
        let fromEnvironment = try environment.map(libraries(inSearchPath:)) ?? []
        return try (fromEnvironment + paths).map { try load($0, into: registry) }
    }
}
