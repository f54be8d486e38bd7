import DLCCore

extension Elaborator {
    /// Evaluates an expression, adding ops to the graph for tensor arithmetic.
    func eval(_ e: Expr) -> EvalValue {
        switch e {
        case .int(let v, _): return .constant(.int(v))
        case .float(let v, _): return .constant(.float(v))
        case .string(let s, _): return .constant(.string(s))
        case .bool(let b, _): return .constant(.bool(b))
        case .none: return .constant(.symbol("none"))
        case .error: return .poison
        case .name(let n, _):
            if let b = env[n] { return b.value }
            if let d = DType(rawValue: n) { return .constant(.dtype(d)) }
            return .constant(.symbol(n))
        case .list(let items, _), .tuple(let items, _):
            let vs = items.map(eval)
            if case .list = e, vs.allSatisfy({ if case .constant = $0 { true } else { false } }) {
                return .constant(.list(vs.map { if case .constant(let c) = $0 { c } else { .int(0) } }))
            }
            return .tuple(vs)
        case .call(let callee, let cr, let args, let r):
            return call(callee, calleeRange: cr, args: args, piped: nil, range: r)
        case .pipe(let lhs, let rhs, let r):
            let v = eval(lhs)
            switch rhs {
            case .name(let n, let nr): return call(n, calleeRange: nr, args: [], piped: (v, lhs.range), range: r)
            case .call(let n, let nr, let args, _): return call(n, calleeRange: nr, args: args, piped: (v, lhs.range), range: r)
            default: return .poison
            }
        case .binary(let op, let a, let b, let opRange, let r):
            if op == .and || op == .or, case .constant(.bool(let x)) = eval(a) {
                // Short-circuit on compile-time booleans.
                if op == .and && !x { return .constant(.bool(false)) }
                if op == .or && x { return .constant(.bool(true)) }
                return eval(b)
            }
            return binary(op, eval(a), a.range, eval(b), b.range, opRange: opRange, range: r)
        case .negate(let a, let r):
            switch eval(a) {
            case .constant(.int(let v)):
                if v == Int.min { diagnostics.error("integer overflow in negation", at: r); return .poison }
                return .constant(.int(-v))
            case .constant(.float(let v)): return .constant(.float(-v))
            case .tensor(let t): return applyOp("neg", [t], [:], range: r)
            case .poison: return .poison
            case let v:
                diagnostics.error("cannot negate \(v.phrase)", at: r)
                return .poison
            }
        case .not(let a, let r):
            switch eval(a) {
            case .constant(.bool(let v)): return .constant(.bool(!v))
            case .tensor(let t): return applyOp("logical_not", [t], [:], range: r)
            case .poison: return .poison
            case let v:
                diagnostics.error("'not' needs a boolean, found \(v.phrase)", at: r)
                return .poison
            }
        case .index(let base, let indexExpr, let r):
            return index(eval(base), base.range, indexExpr, range: r)
        case .ifElse(let c, let a, let b, _):
            guard let cond = staticBool(c) else { return .poison }
            return eval(cond ? a : b)
        }
    }

    func index(_ base: EvalValue, _ baseRange: SourceRange, _ indexExpr: Expr, range: SourceRange) -> EvalValue {
        let items: [EvalValue]
        switch base {
        case .tuple(let xs): items = xs
        case .constant(.list(let xs)): items = xs.map(EvalValue.constant)
        case .poison: return .poison
        case .tensor(let t):
            diagnostics.error("a tensor \(t.type) cannot be indexed with [...]; use slice(...) or gather(...)", at: range)
            return .poison
        default:
            diagnostics.error("only tuples and lists can be indexed, found \(base.phrase)", at: baseRange)
            return .poison
        }
        guard let i = staticInt(indexExpr, what: "an index") else { return .poison }
        let j = i < 0 ? i + items.count : i
        guard j >= 0, j < items.count else {
            diagnostics.error("index \(i) is out of range for \(items.count) values", at: indexExpr.range)
            return .poison
        }
        return items[j]
    }

    /// Arithmetic and comparisons: folded when both sides are compile-time values, ops otherwise.
    func binary(_ op: BinaryOp, _ a: EvalValue, _ ar: SourceRange, _ b: EvalValue, _ br: SourceRange,
                opRange: SourceRange, range: SourceRange) -> EvalValue {
        // Each operand is checked on its own: one that is already wrong does not hide the other.
        var unknown = false
        for (v, r) in [(a, ar), (b, br)] {
            if case .constant(.symbol(let s)) = v, symbols[s] == nil, s != "none" {
                reportUnknownName(s, at: r)
                unknown = true
            }
        }
        if unknown || a.isPoisoned || b.isPoisoned { return .poison }
        if case .constant(let x) = a, case .constant(let y) = b {
            return fold(op, x, y, opRange: opRange, range: range)
        }
        let opName: String = switch op {
        case .add: "add"
        case .sub: "sub"
        case .mul: "mul"
        case .div: "div"
        case .matmul: "matmul"
        case .eq: "equal"
        case .ne: "not_equal"
        case .lt: "less"
        case .le: "less_equal"
        case .gt: "greater"
        case .ge: "greater_equal"
        case .and: "logical_and"
        case .or: "logical_or"
        case .mod: ""
        }
        guard !opName.isEmpty else {
            diagnostics.error("'%' is only defined on compile-time integers", at: opRange)
            return .poison
        }
        // A number beside a tensor becomes a scalar constant of the tensor's element type.
        func operand(_ v: EvalValue, _ r: SourceRange, other: EvalValue) -> Tensor? {
            switch v {
            case .tensor(let t): return t
            case .constant(let c) where c.doubleValue != nil || c.boolValue != nil:
                guard case .tensor(let o) = other else { return nil }
                if op == .matmul {
                    diagnostics.error("'@' needs two tensors, found \(v.phrase)", at: r)
                    return nil
                }
                builder.location = r
                builder.layer = nil
                return builder.constant(c.doubleValue ?? (c.boolValue == true ? 1 : 0), dtype: o.dtype)
            default:
                diagnostics.error("cannot use \(v.phrase) with '\(op.rawValue)' on a tensor", at: r)
                return nil
            }
        }
        guard let x = operand(a, ar, other: b), let y = operand(b, br, other: a) else { return .poison }
        return applyOp(opName, [x, y], [:], range: range, operatorRange: opRange)
    }

    /// Compile-time arithmetic. Integer division is exact when it divides evenly, otherwise a number.
    func fold(_ op: BinaryOp, _ x: StaticValue, _ y: StaticValue, opRange: SourceRange, range: SourceRange) -> EvalValue {
        switch (op, x, y) {
        case (.eq, _, _): return .constant(.bool(equalStatic(x, y)))
        case (.ne, _, _): return .constant(.bool(!equalStatic(x, y)))
        case (.add, .string(let a), .string(let b)): return .constant(.string(a + b))
        case (.add, .list(let a), .list(let b)): return .constant(.list(a + b))
        case (.and, .bool(let a), .bool(let b)): return .constant(.bool(a && b))
        case (.or, .bool(let a), .bool(let b)): return .constant(.bool(a || b))
        case (_, .int(let a), .int(let b)):
            let r: (Int, Bool)
            switch op {
            case .add: r = a.addingReportingOverflow(b)
            case .sub: r = a.subtractingReportingOverflow(b)
            case .mul: r = a.multipliedReportingOverflow(by: b)
            case .div, .mod:
                guard b != 0 else { diagnostics.error("division by zero", at: range); return .poison }
                if op == .mod { return .constant(.int(a % b)) }
                if a % b == 0 { return .constant(.int(a / b)) }
                return .constant(.float(Double(a) / Double(b)))
            case .lt: return .constant(.bool(a < b))
            case .le: return .constant(.bool(a <= b))
            case .gt: return .constant(.bool(a > b))
            case .ge: return .constant(.bool(a >= b))
            default: r = (0, true)
            }
            if r.1 {
                diagnostics.error(op == .and || op == .or || op == .matmul
                                  ? "'\(op.rawValue)' is not defined on integers" : "integer overflow", at: op == .matmul ? opRange : range)
                return .poison
            }
            return .constant(.int(r.0))
        default:
            guard let a = x.doubleValue, let b = y.doubleValue else { break }
            switch op {
            case .add: return .constant(.float(a + b))
            case .sub: return .constant(.float(a - b))
            case .mul: return .constant(.float(a * b))
            case .div:
                guard b != 0 else { diagnostics.error("division by zero", at: range); return .poison }
                return .constant(.float(a / b))
            case .lt: return .constant(.bool(a < b))
            case .le: return .constant(.bool(a <= b))
            case .gt: return .constant(.bool(a > b))
            case .ge: return .constant(.bool(a >= b))
            default: break
            }
        }
        diagnostics.error("cannot apply '\(op.rawValue)' to \(x.kindName) and \(y.kindName)", at: opRange)
        return .poison
    }

    func equalStatic(_ x: StaticValue, _ y: StaticValue) -> Bool {
        if let a = x.doubleValue, let b = y.doubleValue { return a == b }
        if let a = x.stringValue, let b = y.stringValue { return a == b }
        return x == y
    }

    /// A compile-time integer, or nil after reporting what was found instead.
    func staticInt(_ e: Expr, what: String) -> Int? {
        switch eval(e) {
        case .constant(.int(let v)): return v
        case .poison: return nil
        case let v:
            if case .constant(.symbol(let s)) = v, symbols[s] == nil, env[s] == nil {
                reportUnknownName(s, at: e.range)
            } else {
                diagnostics.error("\(what) must be a compile-time integer, found \(v.phrase)", at: e.range)
            }
            return nil
        }
    }

    /// A compile-time boolean, or nil after reporting what was found instead.
    func staticBool(_ e: Expr) -> Bool? {
        switch eval(e) {
        case .constant(.bool(let v)): return v
        case .poison: return nil
        case .tensor(let t):
            diagnostics.error("a condition must be known at compile time, found a tensor \(t.type); use where(cond, a, b) to select between tensors", at: e.range)
            return nil
        case let v:
            if case .constant(.symbol(let s)) = v, symbols[s] == nil {
                reportUnknownName(s, at: e.range)
            } else {
                diagnostics.error("a condition must be a compile-time boolean, found \(v.phrase)", at: e.range)
            }
            return nil
        }
    }
}
