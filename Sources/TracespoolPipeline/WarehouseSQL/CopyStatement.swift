import Foundation
import TracespoolSource

/// Turns a parameterised SELECT into `COPY (select) TO STDOUT`: COPY takes no bind parameters, so
/// each `$n` becomes a literal escaped by libpq (`PQescapeLiteral`) from validated input. This is
/// the only place a value enters SQL text.
enum CopyStatement {
    static func make(select: String, literals: [String?], on connection: PGConnection) throws -> String {
        var sql = select
        // Highest index first so `$1` never eats the prefix of `$10`.
        for (i, value) in literals.enumerated().reversed() {
            let literal = try value.map { try connection.escapeLiteral($0) } ?? "NULL"
            sql = sql.replacingOccurrences(of: "$\(i + 1)", with: literal)
        }
        return "COPY (\n\(sql)\n) TO STDOUT"
    }
}
