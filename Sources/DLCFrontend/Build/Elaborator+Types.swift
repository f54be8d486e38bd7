import DLCCore

extension Elaborator {
    /// Evaluates `f32[N, 784]`. Symbolic dimensions are allowed in inputs only; a new symbol
    /// is registered for the model, an existing compile-time integer is used by value.
    func evalType(_ t: TypeExpr, allowSymbols: Bool) -> TensorType? {
        guard let dtype = DType(rawValue: t.dtype) else {
            let hint = closestName(to: t.dtype, among: DType.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" }
                ?? " (use f32, f64, i32, i64 or bool)"
            diagnostics.error("unknown element type '\(t.dtype)'\(hint)", at: t.dtypeRange)
            return nil
        }
        var dims: [Dim] = []
        var ok = true
        for d in t.dims {
            if case .name(let n, let r) = d, env[n] == nil {
                guard allowSymbols else {
                    diagnostics.error("parameter shapes must be known at compile time; '\(n)' is not a compile-time integer", at: r)
                    ok = false
                    continue
                }
                if symbols[n] == nil { symbols[n] = r }
                dims.append(.symbol(n))
                continue
            }
            switch eval(d) {
            case .constant(.int(let v)) where v > 0:
                dims.append(.known(v))
            case .constant(.int(let v)):
                diagnostics.error("dimensions must be positive, found \(v)", at: d.range)
                ok = false
            case .poison:
                ok = false
            case let v:
                diagnostics.error("a dimension must be a positive integer or a symbolic name such as N, found \(v.phrase)", at: d.range)
                ok = false
            }
        }
        return ok ? TensorType(dtype, dims) : nil
    }

    /// Evaluates the initializer of a `param`: `glorot_uniform()`, `normal(std: 0.02)`, `zeros`.
    func evalInitializer(_ e: Expr) -> Initializer? {
        let name: String, nameRange: SourceRange, args: [Argument]
        switch e {
        case .name(let n, let r): (name, nameRange, args) = (n, r, [])
        case .call(let n, let r, let a, _): (name, nameRange, args) = (n, r, a)
        case .error: return nil
        default:
            diagnostics.error("a parameter's initializer must be an initializer call such as glorot_uniform() or normal(std: 0.02)", at: e.range)
            return nil
        }
        var positional: [StaticValue] = [], named: [String: StaticValue] = [:], ranges: [String: SourceRange] = [:]
        for a in args {
            guard case .constant(let c) = eval(a.value) else {
                diagnostics.error("initializer arguments must be compile-time numbers", at: a.range)
                return nil
            }
            if let l = a.label { named[l] = c; ranges[l] = a.range } else { positional.append(c) }
        }
        do {
            return try Initializer.make(name: name, positional: positional, named: named)
        } catch let err as DLCError {
            diagnostics.error(err.message, at: err.argument.flatMap { ranges[$0] } ?? nameRange)
            return nil
        } catch {
            return nil
        }
    }
}
