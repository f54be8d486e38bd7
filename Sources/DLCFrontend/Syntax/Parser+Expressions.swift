import DLCCore

/// Expressions, lowest precedence first: `|>`, `or`, `and`, `not`, comparisons, `+ -`,
/// `* / % @`, unary `-`, calls and indexing, primaries.
extension Parser {
    mutating func parseExpr() -> Expr {
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxDepth {
            diagnostics.error("expression is nested too deeply (more than \(Parser.maxDepth) levels)", at: current.range)
            let r = current.range
            // Skip the rest of the line: whatever follows is part of the runaway nesting.
            while !atEOF, kind != .newline, !check(.rbrace) { advance() }
            return .error(r)
        }
        return parsePipe()
    }

    mutating func parsePipe() -> Expr {
        var lhs = parseOr()
        while true {
            // A pipeline may continue on the next line: `x = conv2d(...)\n    |> relu`.
            if kind == .newline, peekKind() == .punct(.pipe) { advance() }
            guard accept(.pipe) else { return lhs }
            skipLineBreaks()
            let rhs = parsePostfix()
            switch rhs {
            case .name, .call, .error: break
            default:
                diagnostics.error("the right side of '|>' must be a layer, op or block name, or a call", at: rhs.range)
            }
            lhs = .pipe(lhs, rhs, lhs.range.merged(with: rhs.range))
        }
    }

    mutating func skipLineBreaks() {
        while kind == .newline { advance() }
    }

    mutating func parseOr() -> Expr {
        var lhs = parseAnd()
        while check(.or) {
            let op = advance().range
            skipLineBreaks()
            let rhs = parseAnd()
            lhs = .binary(.or, lhs, rhs, opRange: op, range: lhs.range.merged(with: rhs.range))
        }
        return lhs
    }

    mutating func parseAnd() -> Expr {
        var lhs = parseNot()
        while check(.and) {
            let op = advance().range
            skipLineBreaks()
            let rhs = parseNot()
            lhs = .binary(.and, lhs, rhs, opRange: op, range: lhs.range.merged(with: rhs.range))
        }
        return lhs
    }

    mutating func parseNot() -> Expr {
        if check(.not) {
            let r = advance().range
            let e = parseNot()
            return .not(e, r.merged(with: e.range))
        }
        return parseComparison()
    }

    mutating func parseComparison() -> Expr {
        let lhs = parseAdditive()
        let ops: [Punct: BinaryOp] = [.eq: .eq, .ne: .ne, .lt: .lt, .le: .le, .gt: .gt, .ge: .ge]
        if case .punct(let p) = kind, let op = ops[p] {
            let r = advance().range
            skipLineBreaks()
            let rhs = parseAdditive()
            if case .punct(let q) = kind, ops[q] != nil, !statementHasError {
                statementHasError = true
                diagnostics.error("comparisons do not chain; write 'a < b and b < c'", at: current.range)
            }
            return .binary(op, lhs, rhs, opRange: r, range: lhs.range.merged(with: rhs.range))
        }
        return lhs
    }

    mutating func parseAdditive() -> Expr {
        var lhs = parseMultiplicative()
        while case .punct(let p) = kind, p == .plus || p == .minus {
            let r = advance().range
            skipLineBreaks()
            let rhs = parseMultiplicative()
            lhs = .binary(p == .plus ? .add : .sub, lhs, rhs, opRange: r, range: lhs.range.merged(with: rhs.range))
        }
        return lhs
    }

    mutating func parseMultiplicative() -> Expr {
        var lhs = parseUnary()
        let ops: [Punct: BinaryOp] = [.star: .mul, .slash: .div, .percent: .mod, .at: .matmul]
        while case .punct(let p) = kind, let op = ops[p] {
            let r = advance().range
            skipLineBreaks()
            let rhs = parseUnary()
            lhs = .binary(op, lhs, rhs, opRange: r, range: lhs.range.merged(with: rhs.range))
        }
        return lhs
    }

    mutating func parseUnary() -> Expr {
        if check(.minus) {
            let r = advance().range
            depth += 1
            defer { depth -= 1 }
            if depth > Parser.maxDepth {
                diagnostics.error("expression is nested too deeply (more than \(Parser.maxDepth) levels)", at: r)
                return .error(r)
            }
            let e = parseUnary()
            return .negate(e, r.merged(with: e.range))
        }
        return parsePostfix()
    }

    mutating func parsePostfix() -> Expr {
        var e = parsePrimary()
        while true {
            if check(.lparen) {
                guard case .name(let callee, let cr) = e else {
                    diagnostics.error("only a layer, op, block or model can be called", at: current.range)
                    _ = parseArguments()
                    return .error(e.range)
                }
                let args = parseArguments()
                e = .call(callee: callee, calleeRange: cr, args: args, range: range(from: cr))
            } else if check(.lbracket) {
                let open = advance().range
                let i = parseExpr()
                expect(.rbracket, "to close the index", opening: open)
                e = .index(e, i, range(from: e.range))
            } else {
                return e
            }
        }
    }

    /// `(a, b, name: c)`
    mutating func parseArguments() -> [Argument] {
        let open = advance().range  // (
        var args: [Argument] = []
        var sawLabel = false
        while !check(.rparen) && !atEOF {
            if case .identifier(let label) = kind, peekKind() == .punct(.colon) {
                let lr = advance().range
                advance()
                args.append(Argument(label: label, labelRange: lr, value: parseExpr()))
                sawLabel = true
            } else {
                let v = parseExpr()
                if sawLabel, case .error = v {} else if sawLabel {
                    diagnostics.error("positional argument follows named arguments", at: v.range)
                }
                args.append(Argument(label: nil, labelRange: nil, value: v))
            }
            if !accept(.comma) { break }
        }
        if !accept(.rparen) {
            expected("',' or ')' in the argument list", notes: [.note("to match this '('", at: open)])
            // Skip to the closing parenthesis on this line, if there is one.
            while !atEOF, kind != .newline, !check(.rparen), !check(.rbrace) { advance() }
            _ = accept(.rparen)
        }
        return args
    }

    mutating func parsePrimary() -> Expr {
        let t = current
        switch t.kind {
        case .int(let v): advance(); return .int(v, t.range)
        case .float(let v): advance(); return .float(v, t.range)
        case .string(let s): advance(); return .string(s, t.range)
        case .keyword(.true): advance(); return .bool(true, t.range)
        case .keyword(.false): advance(); return .bool(false, t.range)
        case .keyword(.none): advance(); return .none(t.range)
        case .identifier(let s): advance(); return .name(s, t.range)
        case .keyword(.if): return parseIfExpr()
        case .punct(.lparen):
            advance()
            if accept(.rparen) { return .tuple([], range(from: t.range)) }
            var items = [parseExpr()]
            var isTuple = false
            while accept(.comma) {
                isTuple = true
                if check(.rparen) { break }
                items.append(parseExpr())
            }
            expect(.rparen, "to close the parenthesis", opening: t.range)
            return isTuple ? .tuple(items, range(from: t.range)) : items[0]
        case .punct(.lbracket):
            advance()
            var items: [Expr] = []
            while !check(.rbracket) && !atEOF {
                items.append(parseExpr())
                if !accept(.comma) { break }
            }
            expect(.rbracket, "to close the list", opening: t.range)
            return .list(items, range(from: t.range))
        case .invalid:
            advance()
            return .error(t.range)
        default:
            expected("an expression")
            return .error(t.range)
        }
    }

    /// `if cond { a } else { b }` as an expression (both branches required).
    mutating func parseIfExpr() -> Expr {
        let start = advance().range
        let cond = parseExpr()
        guard expect(.lbrace, "after the condition") else { return .error(start) }
        skipLineBreaks()
        let a = parseExpr()
        skipLineBreaks()
        expect(.rbrace, "to close the 'then' branch")
        guard expectKeyword(.else, "(an 'if' expression needs both branches)") else { return .error(start) }
        let b: Expr
        if check(.if) {
            b = parseIfExpr()
        } else {
            guard expect(.lbrace, "after 'else'") else { return .error(start) }
            skipLineBreaks()
            b = parseExpr()
            skipLineBreaks()
            expect(.rbrace, "to close the 'else' branch")
        }
        return .ifElse(condition: cond, then: a, else: b, range: range(from: start))
    }
}
