import DLCCore

/// Prints the AST as an indented tree with line:column positions, for `--emit=ast`.
public struct ASTPrinter {
    public init() {}

    public func print(_ unit: SourceUnit) -> String {
        var out = ""
        for d in unit.declarations {
            switch d {
            case .use(let name, let r): out += "(use \(name)) \(pos(r))\n"
            case .model(let m):
                let params = m.params.map { p in
                    p.name + (p.typeName.map { ": \($0)" } ?? "") + (p.defaultValue.map { " = " + expr($0) } ?? "")
                }
                out += "(model \(m.name)" + (params.isEmpty ? "" : " (\(params.joined(separator: ", ")))") + " \(pos(m.nameRange))\n"
                m.body.forEach { statement($0, 1, &out) }
                out += ")\n"
            case .block(let b):
                let params = b.params.map { p in
                    p.name + (p.typeName.map { ": \($0)" } ?? "") + (p.defaultValue.map { " = " + expr($0) } ?? "")
                }
                out += "(block \(b.name) (\(params.joined(separator: ", "))) \(pos(b.nameRange))\n"
                b.body.forEach { statement($0, 1, &out) }
                out += ")\n"
            case .train(let t):
                out += "(train \(t.name) \(pos(t.nameRange))\n"
                for s in t.settings { out += "  (\(s.key): \(expr(s.value))) \(pos(s.keyRange))\n" }
                for s in t.steps {
                    out += "  (step \(s.name) minimize \(expr(s.objective)) over \(s.over.map(\.name).joined(separator: ", "))) \(pos(s.nameRange))\n"
                }
                out += ")\n"
            }
        }
        return out
    }

    func pos(_ r: SourceRange) -> String {
        guard let f = r.file else { return "" }
        let (l, c) = f.lineAndColumn(of: r.start)
        return "@\(l):\(c)"
    }

    func type(_ t: TypeExpr) -> String { "\(t.dtype)[\(t.dims.map(expr).joined(separator: ", "))]" }

    func statement(_ s: Statement, _ depth: Int, _ out: inout String) {
        let ind = String(repeating: "  ", count: depth)
        switch s {
        case .input(let n, let r, let t): out += "\(ind)(input \(n) \(type(t))) \(pos(r))\n"
        case .param(let n, let r, let t, let i): out += "\(ind)(param \(n) \(type(t))\(i.map { " = " + expr($0) } ?? "")) \(pos(r))\n"
        case .output(let n, let r, let v): out += "\(ind)(output \(n)\(v.map { " = " + expr($0) } ?? "")) \(pos(r))\n"
        case .loss(let n, let r, let v): out += "\(ind)(loss \(n)\(v.map { " = " + expr($0) } ?? "")) \(pos(r))\n"
        case .assign(let ts, let v):
            out += "\(ind)(= \(ts.map(\.name).joined(separator: ", ")) \(expr(v))) \(pos(ts[0].range))\n"
        case .repeat(let c, let i, let body, let r):
            out += "\(ind)(repeat \(expr(c))\(i.map { " as \($0.name)" } ?? "") \(pos(r))\n"
            body.forEach { statement($0, depth + 1, &out) }
            out += "\(ind))\n"
        case .if(let c, let a, let b, let r):
            out += "\(ind)(if \(expr(c)) \(pos(r))\n"
            a.forEach { statement($0, depth + 1, &out) }
            if !b.isEmpty {
                out += "\(ind) else\n"
                b.forEach { statement($0, depth + 1, &out) }
            }
            out += "\(ind))\n"
        case .return(let e, let r): out += "\(ind)(return \(expr(e))) \(pos(r))\n"
        }
    }

    /// An expression in prefix form: `(call dense f 120)`, `(|> x relu)`, `(+ a b)`.
    public func expr(_ e: Expr) -> String {
        switch e {
        case .int(let v, _): String(v)
        case .float(let v, _): StaticValue.format(v)
        case .string(let s, _): "\"\(s)\""
        case .bool(let b, _): b ? "true" : "false"
        case .none: "none"
        case .name(let n, _): n
        case .list(let xs, _): "[" + xs.map(expr).joined(separator: ", ") + "]"
        case .tuple(let xs, _): "(tuple " + xs.map(expr).joined(separator: " ") + ")"
        case .call(let c, _, let args, _):
            "(call \(c)" + args.map { " " + ($0.label.map { "\($0): " } ?? "") + expr($0.value) }.joined() + ")"
        case .pipe(let a, let b, _): "(|> \(expr(a)) \(expr(b)))"
        case .binary(let op, let a, let b, _, _): "(\(op.rawValue) \(expr(a)) \(expr(b)))"
        case .negate(let a, _): "(neg \(expr(a)))"
        case .not(let a, _): "(not \(expr(a)))"
        case .index(let a, let i, _): "(index \(expr(a)) \(expr(i)))"
        case .ifElse(let c, let a, let b, _): "(if \(expr(c)) \(expr(a)) \(expr(b)))"
        case .error: "<error>"
        }
    }
}
