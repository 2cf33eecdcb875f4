/// Short, random-looking job identifiers.
///
/// Ids are 10 characters from a 32-letter alphabet without look-alikes (50 bits), so the first 8
/// characters used in container names tell live jobs apart.
public enum JobID {
    /// The characters ids are made of: digits and lowercase letters without `i`, `l`, `o`, `u`.
    public static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// The length of a generated id.
    public static let length = 10

    /// Makes a new random id.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return make(using: &generator)
    }

    /// Makes a new id from the given random source (deterministic in tests).
    public static func make<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    /// Whether `text` has the shape of a job id (used to reject garbage before a database look-up).
    public static func isWellFormed(_ text: String) -> Bool {
        text.count == length && text.allSatisfy { alphabet.contains($0) }
    }
}
