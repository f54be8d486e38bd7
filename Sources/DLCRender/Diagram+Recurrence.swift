// Unrolled recurrences drawn once. A recurrent layer puts each time step's ops in a scope of
// its own (`seq.t0` … `seq.t7`); sibling step scopes with the same sequence of ops are folded
// onto the first one, so the diagram shows the cell once, labelled with the step count, and
// the values one step hands to the next as a recurrence edge looping back into the cell.
import DLCCore

/// Which nodes are drawn by another node of an identical earlier time step.
struct StepFolding {
    /// Node index → the node at the same position in the first step of its family.
    var representative: [Int: Int] = [:]
    /// The first step's scope → the number of steps it stands for, and the family's steps.
    var stepCount: [String: (count: Int, total: Int)] = [:]
    /// Node index → (family scope, step scope) for every node inside a folded step.
    var step: [Int: (family: String, scope: String)] = [:]

    /// The node that draws `i` (itself when it is not folded).
    func drawn(_ i: Int) -> Int { representative[i] ?? i }

    /// A value from one step to another step of the same family: the recurrence.
    func isRecurrence(from producer: Int, to consumer: Int) -> Bool {
        guard let a = step[producer], let b = step[consumer] else { return false }
        return a.family == b.family && a.scope != b.scope
    }

    /// Finds the step families of a graph: scopes ending in `t<k>` under one parent.
    static func find(in graph: Graph) -> StepFolding {
        var membersByScope: [String: [Int]] = [:]
        var scopeOrder: [String] = []
        for node in graph.nodes where isStepScope(node.scope) {
            if membersByScope[node.scope] == nil { scopeOrder.append(node.scope) }
            membersByScope[node.scope, default: []].append(node.id.index)
        }
        var families: [String: [String]] = [:]
        var familyOrder: [String] = []
        for scope in scopeOrder {
            let parent = parentScope(scope)
            if families[parent] == nil { familyOrder.append(parent) }
            families[parent, default: []].append(scope)
        }
        var folding = StepFolding()
        for family in familyOrder {
            let scopes = families[family]!
            // Steps alike (the same ops in the same order) are drawn by the first of them; the
            // first and last steps of a backward pass often differ from the ones between.
            var alike: [[String]: [String]] = [:]
            var shapes: [[String]] = []
            for scope in scopes {
                let shape = membersByScope[scope]!.map { signature(graph.nodes[$0]) }
                if alike[shape] == nil { shapes.append(shape) }
                alike[shape, default: []].append(scope)
            }
            guard shapes.count < scopes.count else { continue }
            for shape in shapes {
                let group = alike[shape]!
                let first = membersByScope[group[0]]!
                for scope in group {
                    let members = membersByScope[scope]!
                    for (k, i) in members.enumerated() {
                        if scope != group[0] { folding.representative[i] = first[k] }
                        folding.step[i] = (family, scope)
                    }
                }
                if group.count > 1 { folding.stepCount[group[0]] = (group.count, scopes.count) }
            }
        }
        return folding
    }

    /// `seq.t3`, `grad.seq.t3`: the last component is `t` and a number.
    static func isStepScope(_ scope: String) -> Bool {
        guard let last = scope.split(separator: ".").last, last.count > 1, last.first == "t" else { return false }
        return last.dropFirst().allSatisfy(\.isNumber)
    }

    static func parentScope(_ scope: String) -> String {
        guard let dot = scope.lastIndex(of: ".") else { return "" }
        return String(scope[..<dot])
    }

    /// What must agree for two steps to be drawn as one: each node's op and arity.
    static func signature(_ node: Node) -> String { "\(node.op)/\(node.inputs.count)/\(node.outputs.count)" }
}
