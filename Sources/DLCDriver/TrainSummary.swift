import DLCFrontend

/// The checked settings of a train section, as `dlc compile` prints them after the models.
public struct TrainSummary {
    public let section: TrainSection

    public init(section: TrainSection) { self.section = section }

    public func render() -> String {
        var out = "train \(section.name)\n"
        let keys = section.settings.keys.sorted()
        let w = (keys.map(\.count) + section.steps.map { $0.name.count + 5 }).max() ?? 0
        for k in keys { out += "  \(k.padding(w))  \(section.settings[k]!)\n" }
        for s in section.steps {
            out += "  \("step \(s.name)".padding(w))  minimize over \(s.models.joined(separator: ", "))\n"
        }
        return out
    }
}
