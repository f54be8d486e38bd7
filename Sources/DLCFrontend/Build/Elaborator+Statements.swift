import DLCCore

extension Elaborator {
    /// Runs the statements of a body in order, stopping after a `return`.
    func execute(_ body: [Statement]) {
        for (i, s) in body.enumerated() {
            if returned != nil {
                if case .return(_, let r) = s {
                    diagnostics.error("a block returns only once; this 'return' is never reached", at: r)
                } else if i > 0, case .return = body[i - 1] {
                    diagnostics.warning("code after 'return' is never run", at: range(of: s))
                }
                return
            }
            execute(s)
        }
    }

    func range(of s: Statement) -> SourceRange {
        switch s {
        case .input(_, let r, _), .param(_, let r, _, _), .output(_, let r, _), .loss(_, let r, _): r
        case .assign(let targets, let v): (targets.first?.range ?? v.range).merged(with: v.range)
        case .repeat(_, _, _, let r), .if(_, _, _, let r), .return(_, let r): r
        }
    }

    func execute(_ s: Statement) {
        switch s {
        case .input(let name, let nr, let typeExpr):
            guard !inBlock else {
                diagnostics.error("inputs are declared in a model, not in a block; pass '\(name)' as a block argument", at: nr)
                return
            }
            guard checkFresh(name, nr, "input") else { return }
            guard let type = evalType(typeExpr, allowSymbols: true) else { bind(name, .poison, at: nr); return }
            bind(name, .tensor(builder.input(name: name, type: type, location: nr)), at: nr)

        case .param(let name, let nr, let typeExpr, let initExpr):
            guard checkFresh(name, nr, "parameter") else { return }
            guard let type = evalType(typeExpr, allowSymbols: false) else { bind(name, .poison, at: nr); return }
            let initializer = initExpr.flatMap(evalInitializer) ?? (type.rank >= 2 ? .glorotUniform : .zeros)
            builder.location = nr
            builder.layer = nil
            do {
                let t = try builder.param(name, shape: type.shape, dtype: type.dtype, initializer: initializer)
                bind(name, .tensor(t), at: nr)
            } catch let e as DLCError {
                report(e, at: nr)
                bind(name, .poison, at: nr)
            } catch { bind(name, .poison, at: nr) }

        case .output(let name, let nr, let expr), .loss(let name, let nr, let expr):
            let isLoss = if case .loss = s { true } else { false }
            exposeValue(name: name, nameRange: nr, expr: expr, isLoss: isLoss)

        case .assign(let targets, let expr):
            naming = NamingContext(target: targets[0].name + iterationSuffix, total: scopeCalls(in: expr))
            let v = eval(expr)
            naming = nil
            assign(v, to: targets, expr: expr)

        case .repeat(let countExpr, let index, let body, _):
            guard let count = staticInt(countExpr, what: "a repeat count") else { return }
            guard count >= 0, count <= Elaborator.maxRepeat else {
                diagnostics.error("repeat count must be between 0 and \(Elaborator.maxRepeat), found \(count)", at: countExpr.range)
                return
            }
            // The index is visible in the body only; a binding it shadows comes back afterwards.
            let shadowed = index.flatMap { env[$0.name] }
            for i in 0..<count {
                iterationPath.append(i)
                if let index { env[index.name] = Binding(value: .constant(.int(i)), range: index.range) }
                execute(body)
                iterationPath.removeLast()
                if returned != nil || diagnostics.errorCount >= diagnostics.errorLimit { break }
            }
            if let index { env[index.name] = shadowed }

        case .if(let condExpr, let thenBody, let elseBody, _):
            guard let cond = staticBool(condExpr) else { return }
            execute(cond ? thenBody : elseBody)

        case .return(let expr, let r):
            guard inBlock else {
                diagnostics.error("'return' is only allowed in a block; a model exposes values with 'output' and 'loss'", at: r)
                return
            }
            naming = NamingContext(target: "out" + iterationSuffix, total: scopeCalls(in: expr))
            var v = eval(expr)
            naming = nil
            if case .constant(.symbol(let s)) = v, symbols[s] == nil, case .name = expr {
                reportUnknownName(s, at: expr.range)
                v = .poison
            }
            returned = v
        }
    }

    var iterationSuffix: String { iterationPath.map { ".\($0)" }.joined() }

    func assign(_ v: EvalValue, to targets: [(name: String, range: SourceRange)], expr: Expr) {
        if targets.count == 1 {
            if case .constant(.symbol(let s)) = v, symbols[s] == nil, case .name = expr {
                reportUnknownName(s, at: expr.range)
                bind(targets[0].name, .poison, at: targets[0].range)
                return
            }
            bind(targets[0].name, v, at: targets[0].range)
            return
        }
        switch v {
        case .tuple(let xs) where xs.count == targets.count:
            for (t, x) in zip(targets, xs) { bind(t.name, x, at: t.range) }
        case .poison:
            for t in targets { bind(t.name, .poison, at: t.range) }
        default:
            let count = if case .tuple(let xs) = v { xs.count } else { 1 }
            diagnostics.error("cannot unpack \(count) value\(count == 1 ? "" : "s") into \(targets.count) names", at: expr.range)
            for t in targets { bind(t.name, .poison, at: t.range) }
        }
    }

    /// `output NAME [= expr]` and `loss NAME [= expr]`.
    func exposeValue(name: String, nameRange: SourceRange, expr: Expr?, isLoss: Bool) {
        let what = isLoss ? "loss" : "output"
        guard !inBlock else {
            diagnostics.error("\(what)s are declared in a model, not in a block; return the value instead", at: nameRange)
            return
        }
        let graph = builder.graph
        if let first = (graph.outputs + graph.losses).first(where: { $0.name == name }) {
            diagnostics.error("\(what) '\(name)' is declared twice", at: nameRange,
                              notes: [.note("'\(name)' was first declared here", at: first.location)])
            return
        }
        let value: EvalValue
        if let expr {
            guard checkFresh(name, nameRange, what) else { return }
            naming = NamingContext(target: name, total: scopeCalls(in: expr))
            value = eval(expr)
            naming = nil
            bind(name, value, at: nameRange)
        } else if let b = env[name] {
            value = b.value
        } else {
            reportUnknownName(name, at: nameRange)
            return
        }
        switch value {
        case .constant(.symbol(let s)) where symbols[s] == nil:
            reportUnknownName(s, at: expr?.range ?? nameRange)
        case .tensor(let t):
            if isLoss {
                guard t.rank == 0, t.dtype.isFloat else {
                    let why = t.dtype.isFloat ? "reduce it with mean(...) or sum(...)" : "losses are floating-point"
                    diagnostics.error("loss '\(name)' must be a floating-point scalar, found \(t.type); \(why)",
                                      at: expr?.range ?? nameRange)
                    return
                }
                graph.losses.append(NamedValue(name: name, value: t.id, location: nameRange))
            } else {
                graph.outputs.append(NamedValue(name: name, value: t.id, location: nameRange))
            }
        case .poison:
            return
        default:
            diagnostics.error("\(what) '\(name)' must be a tensor, found \(value.phrase)", at: expr?.range ?? nameRange)
        }
    }

    func reportUnknownName(_ name: String, at range: SourceRange) {
        let candidates = Array(env.keys) + Array(symbols.keys)
        let hint = closestName(to: name, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
        diagnostics.error("unknown name '\(name)'\(hint)", at: range)
    }

    /// How many calls in an expression create a name scope (parameter layers and blocks).
    func scopeCalls(in e: Expr) -> Int {
        switch e {
        case .call(let callee, _, let args, _):
            return (createsScope(callee) ? 1 : 0) + args.reduce(0) { $0 + scopeCalls(in: $1.value) }
        case .pipe(let a, let b, _):
            if case .name(let n, _) = b { return scopeCalls(in: a) + (createsScope(n) ? 1 : 0) }
            return scopeCalls(in: a) + scopeCalls(in: b)
        case .binary(_, let a, let b, _, _): return scopeCalls(in: a) + scopeCalls(in: b)
        case .negate(let a, _), .not(let a, _): return scopeCalls(in: a)
        case .index(let a, let b, _): return scopeCalls(in: a) + scopeCalls(in: b)
        case .list(let xs, _), .tuple(let xs, _): return xs.reduce(0) { $0 + scopeCalls(in: $1) }
        // Only one branch runs, so only one branch's calls count.
        case .ifElse(let c, let a, let b, _): return scopeCalls(in: c) + max(scopeCalls(in: a), scopeCalls(in: b))
        default: return 0
        }
    }

    func createsScope(_ callee: String) -> Bool {
        blocks[callee] != nil || registry.layers[callee]?.createsParameters == true
    }

    /// Reports a `DLCError` from a rule, at the blamed argument if known, with notes where
    /// the blamed operands were declared.
    func report(_ e: DLCError, at range: SourceRange, argRanges: [String: SourceRange] = [:], operands: [Tensor] = [],
                callee: String? = nil) {
        var notes = e.notes
        for i in e.operands where i < operands.count {
            let t = operands[i]
            if let d = declaredAt[t.id], d.range != range {
                notes.append(.note("'\(d.name)' declared here as \(t.type)", at: d.range))
            }
        }
        let place = e.argument.flatMap { argRanges[$0] } ?? range
        var message = e.message
        // "argument 'units' must be positive" → "argument 'units' of 'dense' must be positive"
        if let callee, let arg = e.argument, message.hasPrefix("argument '\(arg)' "), !message.hasPrefix("argument '\(arg)' of ") {
            message = "argument '\(arg)' of '\(callee)'" + message.dropFirst("argument '\(arg)'".count)
        }
        diagnostics.error(message, at: place, notes: notes)
    }
}
