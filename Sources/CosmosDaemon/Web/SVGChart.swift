import Foundation

/// Small bar charts drawn on the server as SVG: no script and no library in the browser.
enum SVGChart {
    /// One bar: its value (nil draws none) and the label under it (often empty, to thin the axis).
    struct Bar: Equatable {
        var value: Double?
        var label: String
        var title: String
    }

    /// A bar chart `width` × `height` with a zero baseline, the largest value marked on the axis, and a `<title>`
    /// per bar for its exact value. `unit` follows numbers in the titles.
    static func bars(_ bars: [Bar], width: Int = 720, height: Int = 160, unit: String, id: String) -> String {
        let top = 14.0
        let bottom = 18.0
        let left = 36.0
        let plotHeight = Double(height) - top - bottom
        let largest = bars.compactMap(\.value).max() ?? 0
        let scale = largest > 0 ? plotHeight / largest : 0
        let step = bars.isEmpty ? 0 : (Double(width) - left) / Double(bars.count)
        var svg = """
            <svg id="\(escape(id))" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(escape(id))" \
            xmlns="http://www.w3.org/2000/svg">
            <line x1="\(left)" y1="\(top + plotHeight)" x2="\(width)" y2="\(top + plotHeight)"/>
            <text x="0" y="\(top + 4)">\(escape(number(largest)))</text>
            <text x="0" y="\(top + plotHeight)">0</text>

            """
        for (index, bar) in bars.enumerated() {
            let x = left + Double(index) * step
            if let value = bar.value {
                let barHeight = max(value * scale, value > 0 ? 1 : 0)
                svg += """
                    <rect x="\(format(x + 1))" y="\(format(top + plotHeight - barHeight))" \
                    width="\(format(max(step - 2, 1)))" height="\(format(barHeight))" data-value="\(number(value))">\
                    <title>\(escape(bar.title)): \(number(value)) \(escape(unit))</title></rect>

                    """
            }
            if !bar.label.isEmpty {
                svg += "<text x=\"\(format(x))\" y=\"\(height - 4)\">\(escape(bar.label))</text>\n"
            }
        }
        return svg + "</svg>"
    }

    /// A value as the axis shows it: whole numbers plainly, others to one decimal.
    static func number(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// Text escaped for XML content and attributes.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
