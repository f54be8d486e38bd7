import DLCCore

/// Stateless transforms of a data set: resizing, flattening, thresholding, one-hot labels.
/// (Transforms fitted on the training split are in `Standardizer` and `MinMaxScaler`.)
public enum Preprocess {
    /// Resizes images to `size`×`size` with bilinear interpolation. `x` is [N, C, H, W] or
    /// [N, H, W] (the layout is kept). Pixel centres are aligned (half-pixel offsets, edges
    /// clamped), as PyTorch's `interpolate(mode: "bilinear", align_corners: False)` without
    /// antialiasing: 8×8 → 28×28 turns the digits into LeNet-sized inputs.
    public static func upscale(_ d: Dataset, size: Int) throws -> Dataset {
        let s = d.x.shape
        guard size >= 1 else { throw DLCError("upscale: size must be at least 1, got \(size)") }
        guard s.count == 3 || s.count == 4 else {
            throw DLCError("upscale: expects images [N, C, H, W] or [N, H, W], got shape \(s)")
        }
        let h = s[s.count - 2], w = s[s.count - 1]
        let planes = s.dropLast(2).reduce(1, *)
        guard h > 0, w > 0 else { throw DLCError("upscale: images of shape \(s) are empty") }
        let src = d.x.floats
        var out = [Float](repeating: 0, count: planes * size * size)
        // Source coordinate and weights for each output row/column.
        func taps(_ n: Int) -> [(Int, Int, Float)] {
            (0..<size).map { o in
                let c = max((Double(o) + 0.5) * Double(n) / Double(size) - 0.5, 0)
                let i0 = min(Int(c), n - 1), i1 = min(i0 + 1, n - 1)
                return (i0, i1, Float(c - Double(i0)))
            }
        }
        let ty = taps(h), tx = taps(w)
        for p in 0..<planes {
            let base = p * h * w, obase = p * size * size
            for (oy, (y0, y1, fy)) in ty.enumerated() {
                for (ox, (x0, x1, fx)) in tx.enumerated() {
                    let a = src[base + y0 * w + x0], b = src[base + y0 * w + x1]
                    let c = src[base + y1 * w + x0], e = src[base + y1 * w + x1]
                    let top = a + (b - a) * fx, bottom = c + (e - c) * fx
                    out[obase + oy * size + ox] = top + (bottom - top) * fy
                }
            }
        }
        return Dataset(unchecked: HostTensor(shape: Array(s.dropLast(2)) + [size, size], f32: out), y: d.y)
    }

    /// Flattens each example's features: x [N, ...] → [N, prod(...)].
    public static func flatten(_ d: Dataset) -> Dataset {
        let n = d.x.shape[0]
        return Dataset(unchecked: HostTensor(shape: [n, d.x.shape.dropFirst().reduce(1, *)], storage: d.x.storage), y: d.y)
    }

    /// Thresholds the features: 1 where x > `threshold`, else 0.
    public static func binarize(_ d: Dataset, threshold: Float = 0.5) -> Dataset {
        Dataset(unchecked: HostTensor(shape: d.x.shape, f32: d.x.floats.map { $0 > threshold ? 1 : 0 }), y: d.y)
    }

    /// Replaces i32 labels [N] by one-hot rows f32 [N, classes]. A label outside
    /// 0..<classes is an error naming the example.
    public static func oneHot(_ d: Dataset, classes: Int, source: String = "data set") throws -> Dataset {
        guard case .i32(let labels) = d.y.storage, d.y.shape.count == 1 else {
            throw DataError.file(source, "one_hot needs i32 class labels of shape [N], but y is \(d.y)")
        }
        guard classes >= 1 else { throw DataError.file(source, "one_hot: classes must be at least 1, got \(classes)") }
        var out = [Float](repeating: 0, count: labels.count * classes)
        for (i, l) in labels.enumerated() {
            guard l >= 0 && Int(l) < classes else {
                throw DataError.at(source, "example \(i)", "label \(l) is out of range for \(classes) classes (0...\(classes - 1))")
            }
            out[i * classes + Int(l)] = 1
        }
        return Dataset(unchecked: d.x, y: HostTensor(shape: [labels.count, classes], f32: out))
    }
}
