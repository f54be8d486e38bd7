/// How the trainer words its log lines (`epoch 3/20  loss 0.2865  train accuracy 90.8%  …`).
extension Trainer {
    static func percent(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 10
        return "\(r)%"
    }

    static func round(_ v: Double) -> Double { (v * 10000).rounded() / 10000 }

    static func format(_ r: EpochRecord, of total: Int) -> String {
        var s = "epoch \(r.epoch)/\(total)  loss \(round(r.loss))"
        if let a = r.trainAccuracy { s += "  train accuracy \(percent(a))" }
        if let v = r.validationAccuracy { s += "  validation accuracy \(percent(v))" }
        let order = r.metrics.keys.sorted { a, b in
            let rank = ["val_loss": 0, "val_accuracy": 1]
            return (rank[a] ?? 2, a) < (rank[b] ?? 2, b)
        }
        for k in order where k != "val_accuracy" {
            s += "  \(k.replacingOccurrences(of: "val_", with: "validation ").replacingOccurrences(of: "_", with: " ")) \(round(r.metrics[k]!))"
        }
        s += "  \((r.seconds * 100).rounded() / 100)s"
        return s
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
