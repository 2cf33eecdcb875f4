/// A refusal: the caller may not do this; the message says who may.
struct AccessDenied: Error, CustomStringConvertible, Equatable {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
