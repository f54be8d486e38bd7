import DLCCore

extension Parser {
    mutating func parseUnit() -> SourceUnit {
        var decls: [Declaration] = []
        skipNewlines()
        while !atEOF {
            let before = pos
            if let d = parseDeclaration() { decls.append(d) }
            skipNewlines()
            if pos == before { advance() }
        }
        return SourceUnit(file: file, declarations: decls)
    }

    mutating func parseDeclaration() -> Declaration? {
        statementHasError = false
        switch kind {
        case .keyword(.use):
            let start = advance().range
            _ = start
            guard let (name, r) = identifier("a plugin name after 'use'") else { recoverToStatementEnd(); return nil }
            endStatement()
            return .use(name: name, range: r)
        case .keyword(.model):
            advance()
            guard let (name, r) = identifier("a model name") else { recoverToDeclaration(); return nil }
            let params = check(.lparen) ? parseBlockParams() : []
            guard let body = parseBody("to open the body of model '\(name)'") else { return nil }
            return .model(ModelDecl(name: name, nameRange: r, params: params, body: body))
        case .keyword(.block):
            advance()
            guard let (name, r) = identifier("a block name") else { recoverToDeclaration(); return nil }
            let params = parseBlockParams()
            guard let body = parseBody("to open the body of block '\(name)'") else { return nil }
            return .block(BlockDecl(name: name, nameRange: r, params: params, body: body))
        case .keyword(.train):
            advance()
            guard let (name, r) = identifier("the name of the model to train") else { recoverToDeclaration(); return nil }
            return parseTrain(name: name, nameRange: r)
        default:
            expected("'model', 'block', 'train' or 'use' at top level")
            recoverToDeclaration()
            return nil
        }
    }

    /// Skips to the next line that starts a declaration.
    mutating func recoverToDeclaration() {
        var braces = 0
        while !atEOF {
            switch kind {
            case .punct(.lbrace): braces += 1
            case .punct(.rbrace): braces -= 1
                if braces <= 0 { advance(); return }
            case .keyword(.model), .keyword(.block), .keyword(.train), .keyword(.use):
                if braces <= 0, pos > 0, tokens[pos - 1].kind == .newline { return }
            default: break
            }
            advance()
        }
    }

    /// `{ statements }`; nil (after recovery) when the opening brace is missing.
    mutating func parseBody(_ context: String) -> [Statement]? {
        let open = current.range
        guard expect(.lbrace, context) else { recoverToDeclaration(); return nil }
        var body: [Statement] = []
        parseStatements(into: &body, opening: open)
        return body
    }

    mutating func parseBlockParams() -> [BlockParam] {
        var params: [BlockParam] = []
        guard expect(.lparen, "after the block name") else { return params }
        while !check(.rparen) && !atEOF {
            guard let (name, r) = identifier("a parameter name") else {
                while !check(.rparen) && !check(.lbrace) && !atEOF { advance() }
                break
            }
            var typeName: String?
            if accept(.colon) { typeName = identifier("a parameter type (Int, Float, Bool, String, List, Tensor)")?.0 }
            var def: Expr?
            if accept(.assign) { def = parseExpr() }
            params.append(BlockParam(name: name, range: r, typeName: typeName, defaultValue: def))
            if !accept(.comma) { break }
        }
        expect(.rparen, "to close the parameter list")
        return params
    }

    mutating func parseTrain(name: String, nameRange: SourceRange) -> Declaration? {
        let open = current.range
        guard expect(.lbrace, "to open the train section") else { recoverToDeclaration(); return nil }
        var decl = TrainDecl(name: name, nameRange: nameRange, settings: [], steps: [])
        skipNewlines()
        while !check(.rbrace) && !atEOF {
            let before = pos
            statementHasError = false
            if case .identifier("step") = kind, case .identifier = peekKind() {
                advance()
                parseStep(into: &decl)
            } else if check(.loss), peekKind() == .punct(.colon) {
                // `loss: NAME` chooses the loss to minimize; `loss` is a keyword elsewhere.
                let r = advance().range
                advance()
                decl.settings.append(TrainSetting(key: "loss", keyRange: r, value: parseExpr()))
                endStatement()
            } else if let (key, r) = identifier("a setting name (such as 'optimizer' or 'epochs')") {
                if expect(.colon, "after setting '\(key)'") {
                    decl.settings.append(TrainSetting(key: key, keyRange: r, value: parseExpr()))
                    endStatement()
                } else {
                    recoverToStatementEnd()
                }
            } else {
                recoverToStatementEnd()
            }
            skipNewlines()
            if pos == before { advance() }
        }
        statementHasError = false
        expect(.rbrace, "to close the train section", opening: open)
        return .train(decl)
    }

    mutating func parseStep(into decl: inout TrainDecl) {
        guard let (name, r) = identifier("a step name") else { recoverToStatementEnd(); return }
        guard expect(.colon, "after the step name"), acceptWord("minimize") || { expected("'minimize'"); return false }() else {
            recoverToStatementEnd()
            return
        }
        let objective = parseExpr()
        var over: [(String, SourceRange)] = []
        if acceptWord("over") || { expected("'over' after the objective of step '\(name)'"); return false }() {
            repeat {
                guard let m = identifier("a model name") else { break }
                over.append(m)
            } while accept(.comma)
        }
        decl.steps.append(TrainStep(name: name, nameRange: r, objective: objective, over: over.map { (name: $0.0, range: $0.1) }))
        endStatement()
    }

    /// Consumes a contextual word (an identifier with special meaning here only).
    mutating func acceptWord(_ word: String) -> Bool {
        if case .identifier(word) = kind { advance(); return true }
        return false
    }

    mutating func expectKeyword(_ k: Keyword, _ context: String) -> Bool {
        if accept(k) { return true }
        expected("'\(k.rawValue)' \(context)")
        return false
    }
}

extension Parser {
    /// Parses statements up to and including the closing `}`.
    mutating func parseStatements(into body: inout [Statement], opening: SourceRange) {
        skipNewlines()
        while !check(.rbrace) && !atEOF {
            let before = pos
            statementHasError = false
            let errorsBefore = diagnostics.errorCount
            if let s = parseStatement() {
                body.append(diagnostics.errorCount > errorsBefore ? s.withoutSemantics : s)
            }
            skipNewlines()
            if pos == before { advance() }
        }
        if atEOF {
            statementHasError = false
            expected("'}' to close the body", notes: [.note("to match this '{'", at: opening)])
        } else {
            advance()
        }
    }

    mutating func parseStatement() -> Statement? {
        let start = current.range
        switch kind {
        case .keyword(.input):
            advance()
            guard let (name, r) = identifier("an input name") else { recoverToStatementEnd(); return nil }
            guard expect(.colon, "before the input's type"), let type = parseType() else {
                recoverToStatementEnd()
                return .assign(targets: [(name, r)], value: .error(r))  // declared, but broken
            }
            endStatement()
            return .input(name: name, nameRange: r, type: type)
        case .keyword(.param):
            advance()
            guard let (name, r) = identifier("a parameter name") else { recoverToStatementEnd(); return nil }
            guard expect(.colon, "before the parameter's type"), let type = parseType() else {
                recoverToStatementEnd()
                return .assign(targets: [(name, r)], value: .error(r))  // declared, but broken
            }
            var initializer: Expr?
            if accept(.assign) { initializer = parseExpr() }
            endStatement()
            return .param(name: name, nameRange: r, type: type, initializer: initializer)
        case .keyword(.output), .keyword(.loss):
            let isLoss = kind == .keyword(.loss)
            advance()
            guard let (name, r) = identifier(isLoss ? "a loss name" : "an output name") else { recoverToStatementEnd(); return nil }
            var value: Expr?
            if accept(.assign) { value = parseExpr() }
            endStatement()
            return isLoss ? .loss(name: name, nameRange: r, value: value) : .output(name: name, nameRange: r, value: value)
        case .keyword(.repeat):
            advance()
            let count = parseExpr()
            var index: (String, SourceRange)?
            if accept(.as) { index = identifier("an index name after 'as'") }
            let open = current.range
            guard expect(.lbrace, "to open the body of 'repeat'") else { recoverToStatementEnd(); return nil }
            var body: [Statement] = []
            parseNested(into: &body, opening: open)
            return .repeat(count: count, index: index.map { (name: $0.0, range: $0.1) }, body: body, range: range(from: start))
        case .keyword(.if):
            return parseIfStatement()
        case .keyword(.return):
            advance()
            let e = parseExpr()
            endStatement()
            return .return(e, range: range(from: start))
        case .identifier, .punct(.lparen):
            return parseAssignment()
        default:
            expected("a statement (input, param, output, loss, an assignment, repeat, if or return)")
            recoverToStatementEnd()
            return nil
        }
    }

    mutating func parseNested(into body: inout [Statement], opening: SourceRange) {
        depth += 1
        defer { depth -= 1 }
        if depth > Parser.maxDepth {
            diagnostics.error("statements are nested too deeply (more than \(Parser.maxDepth) levels)", at: current.range)
            recoverToDeclaration()
            return
        }
        parseStatements(into: &body, opening: opening)
    }

    mutating func parseIfStatement() -> Statement? {
        let start = advance().range
        let cond = parseExpr()
        let open = current.range
        guard expect(.lbrace, "to open the body of 'if'") else { recoverToStatementEnd(); return nil }
        var thenBody: [Statement] = [], elseBody: [Statement] = []
        parseNested(into: &thenBody, opening: open)
        if kind == .newline, peekKind() == .keyword(.else) { advance() }
        if accept(.else) {
            statementHasError = false
            let elseOpen = current.range
            if check(.if) {
                if let s = parseIfStatement() { elseBody = [s] }
            } else if expect(.lbrace, "after 'else'") {
                parseNested(into: &elseBody, opening: elseOpen)
            }
        }
        return .if(condition: cond, then: thenBody, else: elseBody, range: range(from: start))
    }

    /// `a = expr`, `a, b = expr` or `(a, b) = expr`.
    mutating func parseAssignment() -> Statement? {
        var targets: [(name: String, range: SourceRange)] = []
        let parenthesized = accept(.lparen)
        repeat {
            guard let (name, r) = identifier("a name to assign to") else { recoverToStatementEnd(); return nil }
            targets.append((name, r))
        } while accept(.comma)
        if parenthesized, !expect(.rparen, "to close the list of names") { recoverToStatementEnd(); return nil }
        // `let x = …` (or var, val, const) as other languages write it: say so, and go on with `x = …`.
        if !parenthesized, targets.count == 1, ["let", "var", "val", "const", "auto"].contains(targets[0].name),
           case .identifier = kind {
            let keyword = targets[0]
            guard let (name, r) = identifier("a name to assign to") else { recoverToStatementEnd(); return nil }
            diagnostics.error("'\(keyword.name)' is not part of the language: bind a name with '\(name) = …'", at: keyword.range)
            targets = [(name, r)]
        }
        guard accept(.assign) else {
            if targets.count == 1, check(.lparen) || check(.punct(.pipe)) {
                diagnostics.error("the result of this expression is not used; assign it to a name", at: current.range)
            } else {
                expected("'=' after '\(targets.map(\.name).joined(separator: ", "))'")
            }
            let r = current.range
            recoverToStatementEnd()
            // The names still exist (as errors), so later uses of them say nothing more.
            return .assign(targets: targets, value: .error(r))
        }
        let value = parseExpr()
        endStatement()
        return .assign(targets: targets, value: value)
    }

    func check(_ p: TokenKind) -> Bool { kind == p }

    /// `f32[N, 784]`
    mutating func parseType() -> TypeExpr? {
        guard let (dtype, dr) = identifier("an element type (f32, f64, i32, i64 or bool)") else { return nil }
        let open = current.range
        guard expect(.lbracket, "after the element type (a shape such as [N, 784])") else { return nil }
        var dims: [Expr] = []
        while !check(.rbracket) && !atEOF {
            dims.append(parseExpr())
            if !accept(.comma) { break }
        }
        guard expect(.rbracket, "to close the shape", opening: open) else { return nil }
        return TypeExpr(dtype: dtype, dtypeRange: dr, dims: dims, range: range(from: dr))
    }
}

extension Statement {
    /// A statement that did not parse cleanly keeps the names it declares but loses its
    /// value, so elaboration reports nothing more about it (nor about uses of its names).
    var withoutSemantics: Statement {
        switch self {
        case .assign(let targets, let value): .assign(targets: targets, value: .error(value.range))
        case .output(let n, let r, let v?): .output(name: n, nameRange: r, value: .error(v.range))
        case .loss(let n, let r, let v?): .loss(name: n, nameRange: r, value: .error(v.range))
        case .return(let v, let r): .return(.error(v.range), range: r)
        default: self
        }
    }
}
