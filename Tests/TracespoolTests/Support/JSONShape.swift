import Foundation

/// The shape of a JSON value — field names, types and nesting — written down from a documented
/// example, and checked against a parsed answer. Objects are open (an answer may carry more
/// fields than the document shows: the front end ignores them) unless fields are `forbidden`.
indirect enum JSONShape: Sendable {
    case string, int, number, bool, null, any
    /// A value of any of these shapes (`.string | .null`).
    case either([JSONShape])
    case array(JSONShape)
    /// An object with arbitrary keys (CIDs, domain names), every value of this shape.
    case map(JSONShape)
    case object(required: [String: JSONShape], optional: [String: JSONShape], forbidden: Set<String>)

    static func object(_ required: [String: JSONShape], optional: [String: JSONShape] = [:],
                       forbidden: Set<String> = []) -> JSONShape {
        .object(required: required, optional: optional, forbidden: forbidden)
    }

    static func | (a: JSONShape, b: JSONShape) -> JSONShape { .either([a, b]) }

    /// Every place where `value` differs from the shape, as `path: what`; empty when it fits.
    func violations(_ value: Any?, at path: String = "$") -> [String] {
        guard let value else { return ["\(path): missing"] }
        switch self {
        case .any: return []
        case .string: return value is String ? [] : ["\(path): \(Self.describe(value)), expected a string"]
        case .null: return value is NSNull ? [] : ["\(path): \(Self.describe(value)), expected null"]
        case .bool: return Self.kind(value) == "bool" ? [] : ["\(path): \(Self.describe(value)), expected a boolean"]
        case .number:
            let k = Self.kind(value)
            return k == "int" || k == "double" ? [] : ["\(path): \(Self.describe(value)), expected a number"]
        case .int:
            // An integer: written without a fraction (JSONSerialization reads 3.0 as a double).
            return Self.kind(value) == "int" ? [] : ["\(path): \(Self.describe(value)), expected an integer"]
        case .either(let shapes):
            let each = shapes.map { $0.violations(value, at: path) }
            return each.contains { $0.isEmpty } ? [] : each.flatMap { $0 }
        case .array(let element):
            guard let items = value as? [Any] else { return ["\(path): \(Self.describe(value)), expected an array"] }
            // Every element is checked: a bad one deep in a long array is what a sample would miss.
            return items.enumerated().flatMap { element.violations($1, at: "\(path)[\($0)]") }.prefix(20).map { $0 }
        case .map(let valueShape):
            guard let object = value as? [String: Any] else { return ["\(path): \(Self.describe(value)), expected an object"] }
            return object.sorted { $0.key < $1.key }.flatMap { valueShape.violations($1, at: "\(path).\($0)") }.prefix(20).map { $0 }
        case .object(let required, let optional, let forbidden):
            guard let object = value as? [String: Any] else { return ["\(path): \(Self.describe(value)), expected an object"] }
            var out: [String] = []
            for (key, shape) in required.sorted(by: { $0.key < $1.key }) {
                out += shape.violations(object[key], at: "\(path).\(key)")
            }
            for (key, shape) in optional.sorted(by: { $0.key < $1.key }) where object[key] != nil {
                out += shape.violations(object[key], at: "\(path).\(key)")
            }
            for key in forbidden.sorted() where object[key] != nil {
                out.append("\(path).\(key): present, the reference's answer has no such field")
            }
            return out
        }
    }

    private static func kind(_ value: Any) -> String {
        guard let n = value as? NSNumber, !(value is String) else { return "other" }
        if String(describing: type(of: n)).contains("Bool") { return "bool" }
        return String(cString: n.objCType) == "d" ? "double" : "int"
    }

    private static func describe(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if value is String { return "a string" }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        switch kind(value) {
        case "bool": return "a boolean"
        case "int": return "an integer (\(value))"
        case "double": return "a number (\(value))"
        default: return "\(type(of: value))"
        }
    }
}
