import Foundation

/// A named set of points of a chart, drawn as a line, as markers, or both.
public struct ChartSeries {
    public enum Style { case line, markers, lineAndMarkers }

    public var name: String
    public var points: [(x: Double, y: Double)]
    public var style: Style
    public var dashed: Bool
    /// A CSS colour; nil takes the next colour of the palette.
    public var color: String?

    public init(_ name: String, points: [(x: Double, y: Double)], style: Style = .line, dashed: Bool = false, color: String? = nil) {
        self.name = name
        self.points = points
        self.style = style
        self.dashed = dashed
        self.color = color
    }
}

/// A chart as standalone SVG text: a title, two axes with ticks, grid lines and labels, and a
/// legend to the right when there is more than one series. Points with a non-finite
/// coordinate are left out (a line breaks there).
public struct LineChart {
    public var title: String
    public var x: ChartAxis
    public var y: ChartAxis
    public var series: [ChartSeries]
    public var width = 540.0
    public var height = 300.0
    /// Draws the diagonal y = x (the chance line of a ROC curve).
    public var diagonal = false
    /// A point to ring (the best trial of a sweep).
    public var highlight: (x: Double, y: Double)?

    /// Colours that stay apart for the colour-blind (Okabe–Ito, then Tableau).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                                 "#000000", "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF", "#9467BD"]

    /// Lines longer than this are thinned (every k-th point, keeping the last).
    static let maxPointsPerLine = 1500

    public init(title: String, x: ChartAxis, y: ChartAxis, series: [ChartSeries]) {
        self.title = title
        self.x = x
        self.y = y
        self.series = series
    }

    /// The chart as an `<svg>` element (well-formed XML, every text escaped), to inline in HTML
    /// or save as a file.
    public func svg() -> String {
        let finite = series.flatMap { s in s.points.filter { Self.drawable($0, logX: x.scale == .log, logY: y.scale == .log) } }
        let (xDomain, xTicks) = x.layout(finite.map(\.x))
        let (yDomain, yTicks) = y.layout(finite.map(\.y))
        let legend = series.count > 1
        let longestName = Double(series.map { min($0.name.count, 24) }.max() ?? 0)
        let legendWidth: Double = legend ? min(190, longestName * 6.6 + 34) : 0
        let left = 62.0, top = 34.0
        let right: Double = 16 + legendWidth
        let bottom: Double = x.label.isEmpty ? 30 : 48
        let plotW: Double = width - left - right, plotH: Double = height - top - bottom
        func px(_ v: Double) -> Double { left + x.fraction(v, in: xDomain) * plotW }
        func py(_ v: Double) -> Double { top + (1 - y.fraction(v, in: yDomain)) * plotH }
        let text = "#1d2433", muted = "#4a5263", grid = "#e6e9ef"

        var s = SVG.open(width: width, height: height)
        s += "<title>\(HTML.escape(title))</title>"
        s += SVG.rect(0, 0, width, height, fill: "#ffffff")
        s += SVG.text(title, x: left, y: 20, color: text, extra: "font-size=\"13\" font-weight=\"600\"")
        // Grid and ticks.
        for (v, label) in yTicks {
            let yy = py(v)
            s += SVG.line(left, yy, left + plotW, yy, color: grid)
            s += SVG.text(label, x: left - 6, y: yy + 4, color: muted, anchor: "end")
        }
        let widest = Double(xTicks.map(\.1.count).max() ?? 1) * 6.5 + 8
        let xLabelEvery = max(1, Int(widest * Double(xTicks.count) / max(plotW, 1)) + 1)
        for (i, tick) in xTicks.enumerated() {
            let xx = px(tick.0)
            s += SVG.line(xx, top, xx, top + plotH, color: grid)
            if i % xLabelEvery == 0 { s += SVG.text(tick.1, x: xx, y: top + plotH + 15, color: muted, anchor: "middle") }
        }
        s += SVG.rect(left, top, plotW, plotH, fill: "none", stroke: "#9aa3b2")
        if !x.label.isEmpty { s += SVG.text(x.label, x: left + plotW / 2, y: height - 10, color: text, anchor: "middle") }
        if !y.label.isEmpty {
            let transform = "transform=\"translate(14 \(SVG.f(top + plotH / 2))) rotate(-90)\""
            s += SVG.text(y.label, x: 0, y: 0, color: text, anchor: "middle", extra: transform)
        }
        if diagonal {
            s += SVG.line(px(xDomain.lowerBound), py(yDomain.lowerBound), px(xDomain.upperBound), py(yDomain.upperBound),
                          color: "#9aa3b2", extra: "stroke-dasharray=\"4 4\"")
        }
        if finite.isEmpty { s += SVG.text("no data", x: left + plotW / 2, y: top + plotH / 2, color: "#7a8294", anchor: "middle") }
        // The series.
        for (k, serie) in series.enumerated() {
            let color = serie.color ?? Self.palette[k % Self.palette.count]
            let dash = serie.dashed ? " stroke-dasharray=\"6 3\"" : ""
            if serie.style != .markers {
                for run in Self.finiteRuns(serie.points, logX: x.scale == .log, logY: y.scale == .log) where run.count > 1 {
                    let pts = Self.thinned(run).map { SVG.f(px($0.x)) + "," + SVG.f(py($0.y)) }.joined(separator: " ")
                    s += "<polyline points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"\(dash)/>"
                }
            }
            if serie.style != .line {
                for p in serie.points where Self.drawable(p, logX: x.scale == .log, logY: y.scale == .log) {
                    s += SVG.circle(px(p.x), py(p.y), r: 3.5, fill: color)
                }
            }
        }
        if let h = highlight, Self.drawable(h, logX: x.scale == .log, logY: y.scale == .log) {
            s += SVG.circle(px(h.x), py(h.y), r: 7, fill: "none", extra: "stroke=\"#1a7f37\" stroke-width=\"2\"")
        }
        // The legend.
        if legend {
            let lx: Double = left + plotW + 12
            // As many entries as fit; the last line then says how many were left out.
            let fitting = max(1, Int((height - top - 8) / 16))
            for (k, serie) in series.enumerated() {
                let ly: Double = top + 8 + Double(k) * 16
                if series.count > fitting && k == fitting - 1 {
                    s += SVG.text("… \(series.count - k) more", x: lx + 24, y: ly + 4, color: muted)
                    break
                }
                let color = serie.color ?? Self.palette[k % Self.palette.count]
                if serie.style == .markers {
                    s += SVG.circle(lx + 9, ly, r: 3.5, fill: color)
                } else {
                    s += SVG.line(lx, ly, lx + 18, ly, color: color, extra: "stroke-width=\"2\"" + (serie.dashed ? " stroke-dasharray=\"6 3\"" : ""))
                }
                let name = serie.name.count > 24 ? String(serie.name.prefix(23)) + "…" : serie.name
                s += SVG.text(name, x: lx + 24, y: ly + 4, color: text)
            }
        }
        return s + "</svg>"
    }

    static func drawable(_ p: (x: Double, y: Double), logX: Bool, logY: Bool) -> Bool {
        p.x.isFinite && p.y.isFinite && (!logX || p.x > 0) && (!logY || p.y > 0)
    }

    /// The stretches of consecutive points that can be drawn.
    static func finiteRuns(_ points: [(x: Double, y: Double)], logX: Bool, logY: Bool) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = [[]]
        for p in points {
            if drawable(p, logX: logX, logY: logY) {
                runs[runs.count - 1].append(p)
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        return runs
    }

    static func thinned(_ points: [(x: Double, y: Double)]) -> [(x: Double, y: Double)] {
        guard points.count > maxPointsPerLine else { return points }
        let k = (points.count + maxPointsPerLine - 1) / maxPointsPerLine
        var out = stride(from: 0, to: points.count, by: k).map { points[$0] }
        if out.count > 0, (points.count - 1) % k != 0 { out.append(points[points.count - 1]) }
        return out
    }
}

/// SVG elements as text (coordinates with one decimal, text escaped).
enum SVG {
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func open(width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"system-ui, 'DejaVu Sans', sans-serif\" font-size=\"11\">"
    }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String? = nil) -> String {
        let s = stroke.map { " stroke=\"\($0)\"" } ?? ""
        return "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"\(fill)\"\(s)/>"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String, extra: String = "") -> String {
        let a = "x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\""
        return "<line \(a) stroke=\"\(color)\"" + (extra.isEmpty ? "" : " " + extra) + "/>"
    }

    static func circle(_ x: Double, _ y: Double, r: Double, fill: String, extra: String = "") -> String {
        "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" fill=\"\(fill)\"" + (extra.isEmpty ? "" : " " + extra) + "/>"
    }

    static func text(_ content: String, x: Double, y: Double, color: String, anchor: String? = nil, extra: String = "") -> String {
        var a = "x=\"\(f(x))\" y=\"\(f(y))\" fill=\"\(color)\""
        if let anchor { a += " text-anchor=\"\(anchor)\"" }
        if !extra.isEmpty { a += " " + extra }
        return "<text \(a)>\(HTML.escape(content))</text>"
    }
}
