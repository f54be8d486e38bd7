import DLCCore

/// One evaluated argument of a call.
struct CallArg {
    var label: String?
    var labelRange: SourceRange?
    var value: EvalValue
    var range: SourceRange
}

extension Elaborator {
    /// A call of a block, layer or op (looked up in that order).
    func call(_ callee: String, calleeRange: SourceRange, args: [Argument], piped: (EvalValue, SourceRange)?,
              range: SourceRange) -> EvalValue {
        var evaluated: [CallArg] = []
        if let (v, r) = piped { evaluated.append(CallArg(label: nil, labelRange: nil, value: v, range: r)) }
        for a in args { evaluated.append(CallArg(label: a.label, labelRange: a.labelRange, value: eval(a.value), range: a.range)) }

        if let context = objective, let model = context.models[callee] {
            return inlineModel(model, calleeRange: calleeRange, args: evaluated, range: range)
        }
        if let block = blocks[callee] {
            return callBlock(block, calleeRange: calleeRange, args: evaluated, range: range)
        }
        if let layer = registry.layers[callee] {
            guard checkVisible("layer", callee, plugin: layer.plugin, at: calleeRange) else { return .poison }
            return callLayer(layer, args: evaluated, range: range)
        }
        if let op = registry.ops[callee] {
            guard checkVisible("op", callee, plugin: op.plugin, at: calleeRange) else { return .poison }
            return callOp(op, args: evaluated, range: range)
        }
        if models[callee] != nil {
            diagnostics.error("model '\(callee)' cannot be called inside a model; write the shared part as a block", at: calleeRange)
            return .poison
        }
        if Initializer.names.contains(callee) {
            // An initializer call is a compile-time value: `dense(x, 4, weight_init: normal(0, 0.02))`.
            return evalInitializer(.call(callee: callee, calleeRange: calleeRange, args: args, range: range))
                .map { .constant($0.attribute) } ?? .poison
        }
        let candidates = Array(blocks.keys) + registry.layers.keys.filter { isVisible(registry.layers[$0]!.plugin) }
            + registry.ops.keys.filter { isVisible(registry.ops[$0]!.plugin) }
        var message = "unknown layer, op or block '\(callee)'"
        if let hint = closestName(to: callee, among: candidates) { message += "; did you mean '\(hint)'?" }
        else if let provider = registry.provider(of: callee) { message += "; it is provided by plugin '\(provider)'" }
        diagnostics.error(message, at: calleeRange)
        return .poison
    }

    func isVisible(_ plugin: String) -> Bool { registry.isImplicit(plugin) || usedPlugins.contains(plugin) }

    /// Whether a layer or op of `plugin` may be called here; reports the missing `use` if not.
    func checkVisible(_ kind: String, _ callee: String, plugin: String, at range: SourceRange) -> Bool {
        if isVisible(plugin) { return true }
        diagnostics.error("\(kind) '\(callee)' is provided by plugin '\(plugin)'; add 'use \(plugin)' at the top of the file", at: range)
        return false
    }

    /// Takes the `name:` argument (a scope name override) out of a layer or block call.
    func takeNameOverride(_ args: inout [CallArg]) -> String? {
        guard let i = args.firstIndex(where: { $0.label == "name" }) else { return nil }
        let a = args.remove(at: i)
        guard case .constant(let c) = a.value, let s = c.stringValue,
              s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }),
              !s.hasPrefix("."), !s.hasSuffix("."), !s.contains("..") else {
            if !a.value.isPoisoned {
                diagnostics.error("argument 'name' must be a string of letters, digits and '_', parts joined by '.' (or \"\" for no scope)",
                                  at: a.range)
            }
            return nil
        }
        return s
    }

    /// The scope of a layer or block call: the `name:` override (`""` keeps the current scope),
    /// else the statement's naming rule.
    func scopeName(override: String?, callee: String) -> String {
        if override == "" { return builder.scope }
        return builder.qualified(override ?? naming?.next(for: callee) ?? callee)
    }

    func callOp(_ spec: OpSpec, args: [CallArg], range: SourceRange) -> EvalValue {
        guard let (bound, argRanges, operands) = bindSignature(spec.signature, callee: spec.name, args: args, range: range) else {
            return .poison
        }
        builder.location = range
        builder.layer = nil
        do {
            return wrap(try builder.apply(spec, bound))
        } catch let e as DLCError {
            report(e, at: range, argRanges: argRanges, operands: operands, callee: spec.name)
        } catch {}
        return .poison
    }

    /// An op added by the elaborator itself (operators, negation).
    func applyOp(_ name: String, _ inputs: [Tensor], _ attrs: Attributes, range: SourceRange,
                 operatorRange: SourceRange? = nil) -> EvalValue {
        builder.location = range
        builder.layer = nil
        do {
            return wrap(try builder.op(name, inputs, attrs))
        } catch let e as DLCError {
            report(e, at: operatorRange ?? range, operands: inputs)
        } catch {}
        return .poison
    }

    func wrap(_ ts: [Tensor]) -> EvalValue {
        if builder.graph.nodes.count > Elaborator.maxNodes {
            diagnostics.error("the model expands to more than \(Elaborator.maxNodes) nodes", at: builder.location)
            return .poison
        }
        return ts.count == 1 ? .tensor(ts[0]) : .tuple(ts.map(EvalValue.tensor))
    }

    func callLayer(_ spec: LayerSpec, args: [CallArg], range: SourceRange) -> EvalValue {
        var args = args
        let override = takeNameOverride(&args)
        guard let (bound, argRanges, operands) = bindSignature(spec.signature, callee: spec.name, args: args, range: range) else {
            return .poison
        }
        let savedScope = builder.scope, savedLayer = builder.layer
        defer {
            builder.scope = savedScope
            builder.layer = savedLayer
        }
        if spec.createsParameters {
            builder.scope = scopeName(override: override, callee: spec.name)
        }
        builder.layer = spec.name
        builder.location = range
        do {
            return wrap(try spec.expand(builder, bound))
        } catch let e as DLCError {
            report(e, at: range, argRanges: argRanges, operands: operands, callee: spec.name)
        } catch is PoisonedInput {
        } catch {
            diagnostics.error("layer '\(spec.name)' failed: \(error)", at: range)
        }
        return .poison
    }

    func callBlock(_ block: BlockDecl, calleeRange: SourceRange, args: [CallArg], range: SourceRange) -> EvalValue {
        var args = args
        let override = takeNameOverride(&args)
        guard blockStack.count < Elaborator.maxBlockDepth else {
            diagnostics.error("blocks are nested more than \(Elaborator.maxBlockDepth) deep; does block '\(block.name)' call itself?",
                              at: calleeRange)
            return .poison
        }
        // Bind arguments to parameters.
        var values: [String: (EvalValue, SourceRange)] = [:]
        var ok = true
        var unknownLabel = false
        var positional = 0
        for a in args {
            let pname: String
            if let label = a.label {
                guard block.params.contains(where: { $0.name == label }) else {
                    let hint = closestName(to: label, among: block.params.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                    diagnostics.error("block '\(block.name)' has no parameter '\(label)'\(hint)", at: a.labelRange ?? a.range)
                    ok = false
                    unknownLabel = true
                    continue
                }
                pname = label
            } else {
                guard positional < block.params.count else {
                    diagnostics.error("block '\(block.name)' takes \(block.params.count) argument\(block.params.count == 1 ? "" : "s"), but more were given",
                                      at: a.range)
                    ok = false
                    continue
                }
                pname = block.params[positional].name
                positional += 1
            }
            if values[pname] != nil {
                diagnostics.error("argument '\(pname)' of block '\(block.name)' is given twice", at: a.range)
                ok = false
            }
            values[pname] = (a.value, a.range)
        }
        var bindings: [String: Binding] = [:]
        let savedEnv = env
        for p in block.params {
            var entry = values[p.name]
            if entry == nil, let d = p.defaultValue {
                env = bindings  // a default may use the parameters before it: `m: Int = n * 2`
                entry = (eval(d), d.range)
                env = savedEnv
            }
            guard let (v, r) = entry else {
                if !unknownLabel {
                    diagnostics.error("missing argument '\(p.name)' in call to block '\(block.name)'", at: range,
                                      notes: [.note("'\(p.name)' declared here", at: p.range)])
                }
                ok = false
                continue
            }
            if v.isPoisoned { ok = false; continue }
            guard let checked = checkBlockArg(v, param: p, block: block.name, range: r) else { ok = false; continue }
            bindings[p.name] = Binding(value: checked, range: p.range)
        }
        guard ok else { return .poison }

        let saved = (naming, iterationPath, returned, builder.scope)
        builder.scope = scopeName(override: override, callee: block.name)
        env = bindings
        for (_, b) in bindings { if case .tensor(let t) = b.value, declaredAt[t.id] == nil { declaredAt[t.id] = (block.name, b.range) } }
        naming = nil
        iterationPath = []
        returned = nil
        blockStack.append(block.name)
        let firstNew = diagnostics.diagnostics.count
        execute(block.body)
        diagnostics.amend(since: firstNew, note: .note("in block '\(block.name)' called here", at: range))
        blockStack.removeLast()
        let result = returned
        (naming, iterationPath, returned, builder.scope) = saved
        env = savedEnv
        guard let result else {
            diagnostics.error("block '\(block.name)' ends without 'return'", at: block.nameRange)
            return .poison
        }
        return result
    }

    func checkBlockArg(_ v: EvalValue, param p: BlockParam, block: String, range: SourceRange, owner: String = "block") -> EvalValue? {
        let type = p.typeName.flatMap(BlockParamType.init(rawValue:)) ?? (p.typeName == nil ? .Tensor : .`Any`)
        let fits: Bool
        switch (type, v) {
        case (.Tensor, .tensor), (.`Any`, _): fits = true
        case (.Int, .constant(.int)), (.Bool, .constant(.bool)), (.List, .constant(.list)), (.List, .tuple): fits = true
        case (.Float, .constant(.int(let i))): return .constant(.float(Double(i)))
        case (.Float, .constant(.float)): fits = true
        case (.String, .constant(.string)): fits = true
        case (.String, .constant(.symbol(let s))): return .constant(.string(s))  // `Act(x, relu)`
        case (.Shape, .constant(.list)): fits = true
        default: fits = false
        }
        if fits { return v }
        if case .constant(.symbol(let s)) = v, type == .Tensor {
            reportUnknownName(s, at: range)
            return nil
        }
        let want = type == .Tensor ? "a tensor" : "a value of type \(type.rawValue)"
        diagnostics.error("argument '\(p.name)' of \(owner) '\(block)' must be \(want), found \(v.phrase)", at: range,
                          notes: [.note("'\(p.name)' declared here", at: p.range)])
        return nil
    }
}
