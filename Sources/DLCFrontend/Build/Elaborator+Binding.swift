import DLCCore

extension Elaborator {
    /// Binds evaluated call arguments to an op or layer signature: positional arguments in
    /// order (a variadic tensor argument takes every remaining tensor), then named ones.
    /// Reports every mismatch; returns nil if any, or if an argument is poisoned.
    /// - Returns: the bound arguments, where each was written, and the tensor operands in order.
    func bindSignature(_ sig: Signature, callee: String, args: [CallArg], range: SourceRange)
        -> (Arguments, [String: SourceRange], [Tensor])? {
        if args.contains(where: { $0.value.isPoisoned }) { return nil }
        var assigned: [String: CallArg] = [:]
        var ok = true
        var unknownLabel = false
        var positional = args.filter { $0.label == nil }[...]
        var argIndex = 0
        while let a = positional.first {
            guard argIndex < sig.args.count else {
                let n = sig.args.count
                diagnostics.error("'\(callee)' takes \(n) argument\(n == 1 ? "" : "s"), but \(args.count) were given; its signature is \(sig.render(callee))",
                                  at: a.range)
                return nil
            }
            let spec = sig.args[argIndex]
            argIndex += 1
            if spec.kind == .tensors {
                var list: [EvalValue] = []
                var r = a.range
                if case .tuple(let xs) = a.value {
                    list = xs
                    positional.removeFirst()
                } else {
                    while let b = positional.first, case .tensor = b.value {
                        list.append(b.value)
                        r = r.merged(with: b.range)
                        positional.removeFirst()
                    }
                }
                assigned[spec.name] = CallArg(label: nil, labelRange: nil, value: .tuple(list), range: r)
                continue
            }
            assigned[spec.name] = a
            positional.removeFirst()
        }
        for a in args {
            guard let label = a.label else { continue }
            guard let spec = sig.arg(named: label) else {
                let hint = closestName(to: label, among: sig.args.map(\.name)).map { "; did you mean '\($0)'?" }
                    ?? "; its signature is \(sig.render(callee))"
                diagnostics.error("'\(callee)' has no argument '\(label)'\(hint)", at: a.labelRange ?? a.range)
                ok = false
                unknownLabel = true
                continue
            }
            if assigned[label] != nil {
                diagnostics.error("argument '\(label)' of '\(callee)' is given twice", at: a.range)
                ok = false
                continue
            }
            assigned[spec.name] = a
        }
        // The element type for numbers passed where tensors are expected.
        let dtype = args.lazy.compactMap { a -> DType? in if case .tensor(let t) = a.value { t.dtype } else { nil } }.first ?? .f32

        var bound = Arguments()
        var ranges: [String: SourceRange] = [:]
        var operands: [Tensor] = []
        for spec in sig.args {
            guard let a = assigned[spec.name] else {
                if spec.isRequired && !unknownLabel {  // a misspelt label was probably meant to fill it
                    diagnostics.error("missing argument '\(spec.name)' in call to '\(callee)'; its signature is \(sig.render(callee))",
                                      at: range)
                }
                if spec.isRequired {
                    ok = false
                } else if let d = spec.defaultValue, !spec.kind.isTensor {
                    bound.statics[spec.name] = d
                }
                continue
            }
            ranges[spec.name] = a.range
            bound.given.insert(spec.name)
            switch spec.kind {
            case .tensor, .optionalTensor:
                if spec.kind == .optionalTensor, case .constant(.symbol("none")) = a.value { continue }
                guard let t = tensorOperand(a, spec: spec, callee: callee, dtype: dtype) else { ok = false; continue }
                bound.tensors[spec.name] = [t]
                operands.append(t)
            case .tensors:
                let items: [EvalValue] = if case .tuple(let xs) = a.value { xs } else { [a.value] }
                var ts: [Tensor] = []
                for item in items {
                    guard let t = tensorOperand(CallArg(label: a.label, labelRange: a.labelRange, value: item, range: a.range),
                                                spec: spec, callee: callee, dtype: dtype) else { ok = false; continue }
                    ts.append(t)
                }
                bound.tensors[spec.name] = ts
                operands += ts
            default:
                guard let v = staticArgument(a, spec: spec, callee: callee) else { ok = false; continue }
                bound.statics[spec.name] = v
            }
        }
        return ok ? (bound, ranges, operands) : nil
    }

    func tensorOperand(_ a: CallArg, spec: ArgSpec, callee: String, dtype: DType) -> Tensor? {
        switch a.value {
        case .tensor(let t): return t
        case .constant(.symbol(let s)) where symbols[s] == nil:
            reportUnknownName(s, at: a.range)
        case .constant(let c) where c.doubleValue != nil || c.boolValue != nil:
            builder.location = a.range
            builder.layer = nil
            return builder.constant(c.doubleValue ?? (c.boolValue == true ? 1 : 0), dtype: c.boolValue != nil ? .bool : dtype)
        case .tuple(let xs):
            diagnostics.error("argument '\(spec.name)' of '\(callee)' must be a tensor, found a tuple of \(xs.count) values; unpack it first with (a, b, ...) = ...",
                              at: a.range)
        default:
            diagnostics.error("argument '\(spec.name)' of '\(callee)' must be a tensor, found \(a.value.phrase)", at: a.range)
        }
        return nil
    }

    /// Checks and normalizes a compile-time argument against its declared kind.
    func staticArgument(_ a: CallArg, spec: ArgSpec, callee: String) -> StaticValue? {
        guard case .constant(let c) = a.value else {
            diagnostics.error("argument '\(spec.name)' of '\(callee)' must be \(spec.kind.phrase) known at compile time, found \(a.value.phrase)",
                              at: a.range)
            return nil
        }
        func fail() -> StaticValue? {
            diagnostics.error("argument '\(spec.name)' of '\(callee)' must be \(spec.kind.phrase), found \(c.kindName)\(c.kindName.hasPrefix("the name") ? "" : " (\(c))")",
                              at: a.range)
            return nil
        }
        switch spec.kind {
        case .int: return c.intValue != nil ? c : fail()
        case .float: return c.doubleValue.map(StaticValue.float) ?? fail()
        case .bool: return c.boolValue != nil ? c : fail()
        case .string: return c.stringValue != nil ? c : fail()
        case .ints:
            if c.intValue != nil { return c }
            if let xs = c.listValue, xs.allSatisfy({ $0.intValue != nil }) { return c }
            return fail()
        case .dtype:
            if case .dtype = c { return c }
            if let s = c.stringValue, let d = DType(rawValue: s) { return .dtype(d) }
            return fail()
        case .shape:
            let items = c.listValue ?? (c.intValue != nil ? [c] : nil)
            guard let items else { return fail() }
            for item in items {
                switch item {
                case .int: continue
                case .symbol(let s) where symbols[s] != nil: continue
                case .symbol(let s):
                    diagnostics.error("unknown dimension '\(s)' in argument '\(spec.name)' of '\(callee)'; symbolic dimensions come from the model's inputs",
                                      at: a.range)
                    return nil
                default: return fail()
                }
            }
            return .list(items)
        case .value:
            return c
        case .tensor, .optionalTensor, .tensors:
            return nil
        }
    }
}
