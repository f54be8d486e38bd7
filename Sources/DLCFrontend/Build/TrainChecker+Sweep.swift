import DLCCore

/// Checking `sweep: grid(…)` / `sweep: random(…)`: every swept name must be a train setting,
/// an optimizer argument or a static argument of the model; its values a non-empty list of
/// values the setting accepts, or a range (`int_range`, and for random searches `uniform`,
/// `loguniform`) with bounds it accepts; the metric one that the runs report.
extension TrainChecker {
    /// The largest grid a sweep may declare.
    static let maxGridTrials = 10_000

    func checkSweep(_ e: Expr, section: TrainSection) -> SweepSpec? {
        guard case .call(let kindName, _, let args, let range) = e, let kind = SweepSpec.Kind(rawValue: kindName) else { return nil }
        var spec = SweepSpec(kind: kind, trials: nil, seed: 0, metric: "", maximize: true, parameters: [])
        var ok = true
        var metric: (name: String, range: SourceRange)?
        for a in args {
            guard let label = a.label else { continue }  // reported by the schema check
            switch (label, kind) {
            case ("metric", _):
                guard let v = literal(a.value), case .value(let s) = v, let n = s.stringValue else {
                    diagnostics.error("the sweep's metric must be a name such as val_accuracy", at: a.value.range)
                    ok = false
                    continue
                }
                metric = (n, a.value.range)
            case ("trials", .random):
                if case .value(.int(let n))? = literal(a.value) { spec.trials = n }
            case ("seed", .random):
                if case .value(.int(let s))? = literal(a.value) { spec.seed = s }
            default:
                if let first = spec.parameters.first(where: { $0.name == label }) {
                    diagnostics.error("'\(label)' is swept twice", at: a.labelRange ?? a.range, notes: [.note("first swept here", at: first.range)])
                    ok = false
                    continue
                }
                guard let p = checkSwept(label, a, kind: kind, section: section) else { ok = false; continue }
                spec.parameters.append(p)
            }
        }
        if spec.parameters.isEmpty && ok {
            let example = kind == .grid ? "grid(lr: [0.1, 0.01])" : "random(trials: 8, lr: loguniform(0.001, 0.1))"
            diagnostics.error("the sweep varies nothing; name the settings to search, e.g. \(example)", at: range)
            ok = false
        }
        if kind == .grid, ok {
            let count = spec.parameters.reduce(1) { n, p in n.multipliedReportingOverflow(by: p.domain.gridValues?.count ?? 1).partialValue }
            if count > Self.maxGridTrials || count <= 0 {
                diagnostics.error("the grid has \(count <= 0 ? "too many" : Formatting.grouped(count)) trials; at most \(Formatting.grouped(Self.maxGridTrials)) are allowed (use random(trials: …) instead)", at: range)
                ok = false
            }
        }
        let name = metric?.name ?? defaultMetric(section, spec.parameters)
        if let metric, !checkMetric(metric.name, at: metric.range, section: section, swept: spec.parameters) { ok = false }
        spec.metric = name
        spec.maximize = SweepSpec.higherIsBetter(name)
        return ok ? spec : nil
    }

    /// The metrics of the section's `metrics:` list that a run reports as a number.
    func listedMetrics(_ section: TrainSection) -> [String] {
        guard case .list(let items)? = section.settings["metrics"] else { return ["accuracy"] }
        return items.compactMap { if case .value(let v) = $0 { v.stringValue } else { nil } }.filter { $0 != "confusion" }
    }

    func hasValidation(_ section: TrainSection, _ swept: [SweepParameter]) -> Bool {
        section.settings["validation"] != nil || swept.contains { $0.target == .setting("validation") }
    }

    /// Without `metric:`, the first metric of the section's list (else the loss), on the
    /// validation split when there is one, else on the test split.
    func defaultMetric(_ section: TrainSection, _ swept: [SweepParameter]) -> String {
        (hasValidation(section, swept) ? "val_" : "test_") + (listedMetrics(section).first ?? "loss")
    }

    func checkMetric(_ name: String, at range: SourceRange, section: TrainSection, swept: [SweepParameter]) -> Bool {
        let bases = ["loss", "accuracy"] + listedMetrics(section).filter { $0 != "accuracy" }
        let validation = hasValidation(section, swept)
        let allowed = ["train_loss"] + (validation ? bases.map { "val_" + $0 } : []) + bases.map { "test_" + $0 }
        if allowed.contains(name) { return true }
        if name.hasPrefix("val_"), bases.contains(String(name.dropFirst(4))) {
            diagnostics.error("the sweep's metric '\(name)' needs a validation split; add 'validation: 0.1' to the section", at: range)
            return false
        }
        let hint = closestName(to: name, among: allowed).map { "; did you mean '\($0)'?" } ?? ""
        diagnostics.error("unknown sweep metric '\(name)'\(hint) (the runs report: \(allowed.joined(separator: ", ")); other metrics need the section's 'metrics:' list)",
                          at: range)
        return false
    }

    /// What a swept value must be.
    private struct Accepts {
        var problem: (StaticValue) -> String?
        var integers: Bool
        var fractions: Bool
    }

    private func accepts(_ target: SweepTarget, section: TrainSection) -> Accepts {
        func of(_ kind: SettingKind) -> Accepts {
            var a = Accepts(problem: { TrainSchema.problem(with: $0, kind) }, integers: false, fractions: false)
            if case .int = kind { a.integers = true }
            if case .number = kind { a.integers = true; a.fractions = true }
            return a
        }
        switch target {
        case .setting(let key): return of(TrainSchema.keys.first { $0.0 == key }!.1)
        case .optimizerArgument(let arg): return of(section.optimizerSchema.args.first { $0.name == arg }!.kind)
        case .modelArgument(let arg):
            let type = section.staticArguments.first { $0.name == arg }?.type ?? "Any"
            switch type {
            case "Int": return Accepts(problem: { if case .int = $0 { nil } else { "must be an integer (Int), found \($0)" } }, integers: true, fractions: false)
            case "Float": return Accepts(problem: { $0.isNumber ? nil : "must be a number (Float), found \($0)" }, integers: true, fractions: true)
            case "Bool": return Accepts(problem: { if case .bool = $0 { nil } else { "must be true or false (Bool), found \($0)" } }, integers: false, fractions: false)
            case "String": return Accepts(problem: { $0.stringValue == nil ? "must be a string (String), found \($0)" : nil }, integers: false, fractions: false)
            case "List", "Shape": return Accepts(problem: { if case .list = $0 { nil } else { "must be a list (\(type)), found \($0)" } }, integers: false, fractions: false)
            default: return Accepts(problem: { _ in nil }, integers: true, fractions: true)
            }
        }
    }

    private func checkSwept(_ name: String, _ a: Argument, kind: SweepSpec.Kind, section: TrainSection) -> SweepParameter? {
        let at = a.labelRange ?? a.range
        let target: SweepTarget
        do {
            guard let t = try section.target(of: name) else {
                let optimizer = section.optimizerSchema
                if TrainSchema.optimizers.contains(where: { o in o.args.contains { $0.name == name } }) {
                    diagnostics.error("the sweep varies '\(name)', which is not an argument of optimizer '\(optimizer.name)' (it takes \(optimizer.args.map(\.name).joined(separator: ", ")))",
                                      at: at)
                    return nil
                }
                let hint = closestName(to: name, among: section.sweepableNames).map { "; did you mean '\($0)'?" } ?? ""
                let model = section.model.map { " of model '\($0)'" } ?? ""
                diagnostics.error("the sweep varies '\(name)', which is neither a train setting nor a static argument\(model)\(hint)", at: at)
                return nil
            }
            target = t
        } catch let e as DLCError {
            diagnostics.error(e.message, at: at)
            return nil
        } catch { return nil }
        let accepts = accepts(target, section: section)
        guard let domain = checkDomain(name, a.value, kind: kind, accepts) else { return nil }
        return SweepParameter(name: name, target: target, domain: domain, range: at)
    }

    private func checkDomain(_ name: String, _ e: Expr, kind: SweepSpec.Kind, _ accepts: Accepts) -> SweepDomain? {
        let ranges = kind == .grid ? "int_range(a, b)" : "int_range(a, b), uniform(a, b) or loguniform(a, b)"
        switch e {
        case .list(let items, let range):
            guard !items.isEmpty else {
                diagnostics.error("the values of swept '\(name)' are an empty list", at: range)
                return nil
            }
            var values: [StaticValue] = []
            var ok = true
            for item in items {
                guard let v = literal(item) else { ok = false; continue }
                guard case .value(let s) = v else {
                    diagnostics.error("swept '\(name)' takes values, found \(v)", at: item.range)
                    ok = false
                    continue
                }
                if let problem = accepts.problem(s) {
                    diagnostics.error("swept '\(name)' \(problem)", at: item.range)
                    ok = false
                }
                values.append(s)
            }
            return ok ? .values(values) : nil
        case .call(let fn, let fnRange, let args, let range):
            guard ["uniform", "loguniform", "int_range"].contains(fn) else {
                let hint = closestName(to: fn, among: ["uniform", "loguniform", "int_range"]).map { "; did you mean '\($0)'?" } ?? ""
                diagnostics.error("unknown range '\(fn)'\(hint); swept values are a list or \(ranges)", at: fnRange)
                return nil
            }
            if fn != "int_range" && kind == .grid {
                diagnostics.error("\(fn)(a, b) draws random values; a grid takes a list or int_range(a, b)", at: fnRange)
                return nil
            }
            return checkRange(name, fn, args, range, accepts)
        default:
            if literal(e) != nil {
                diagnostics.error("the values of swept '\(name)' must be a list such as [0.1, 0.01] or a range: \(ranges)", at: e.range)
            }
            return nil
        }
    }

    private func checkRange(_ name: String, _ fn: String, _ args: [Argument], _ range: SourceRange, _ accepts: Accepts) -> SweepDomain? {
        let labels = fn == "int_range" ? ["low", "high", "step"] : ["low", "high"]
        var bound: [String: (StaticValue, SourceRange)] = [:]
        var positional = 0
        for a in args {
            let label: String
            if let l = a.label {
                guard labels.contains(l) else {
                    diagnostics.error("\(fn) has no argument '\(l)' (it takes \(labels.joined(separator: ", ")))", at: a.labelRange ?? a.range)
                    return nil
                }
                label = l
            } else {
                guard positional < labels.count else {
                    diagnostics.error("\(fn) takes at most \(labels.count) arguments (\(labels.joined(separator: ", ")))", at: a.range)
                    return nil
                }
                label = labels[positional]
                positional += 1
            }
            guard case .value(let v)? = literal(a.value), v.isNumber else {
                diagnostics.error("the bounds of \(fn) must be numbers", at: a.value.range)
                return nil
            }
            bound[label] = (v, a.value.range)
        }
        guard let (low, lowRange) = bound["low"], let (high, _) = bound["high"] else {
            diagnostics.error("\(fn) needs two bounds: \(fn)(low, high)", at: range)
            return nil
        }
        if fn != "int_range" && !accepts.fractions {
            diagnostics.error("swept '\(name)' takes integers, not numbers drawn from \(fn)(…); use int_range(a, b) or a list", at: range)
            return nil
        }
        for (label, (v, r)) in bound.sorted(by: { $0.key < $1.key }) where label != "step" {
            if let problem = accepts.problem(fn == "int_range" ? v : .float(v.doubleValue!)) {
                diagnostics.error("swept '\(name)': the \(label) bound \(problem)", at: r)
                return nil
            }
        }
        if fn == "int_range" {
            guard case .int(let lo) = low, case .int(let hi) = high else {
                diagnostics.error("int_range takes integer bounds", at: range)
                return nil
            }
            guard accepts.integers else {
                diagnostics.error("swept '\(name)' does not take integers; use a list of values", at: range)
                return nil
            }
            var step = 1
            if let (s, r) = bound["step"] {
                guard case .int(let v) = s, v >= 1 else {
                    diagnostics.error("the step of int_range must be an integer of at least 1", at: r)
                    return nil
                }
                step = v
            }
            guard lo <= hi else {
                diagnostics.error("int_range(\(lo), \(hi)) is empty: the low bound must not exceed the high one", at: range)
                return nil
            }
            return .intRange(lo, hi, step: step)
        }
        let lo = low.doubleValue!, hi = high.doubleValue!
        guard lo < hi else {
            diagnostics.error("\(fn)(\(low), \(high)) is empty: the low bound must be less than the high one", at: range)
            return nil
        }
        if fn == "loguniform" {
            guard lo > 0 else {
                diagnostics.error("loguniform needs positive bounds (it draws the logarithm), found \(low)", at: lowRange)
                return nil
            }
            return .logUniform(lo, hi)
        }
        return .uniform(lo, hi)
    }
}
