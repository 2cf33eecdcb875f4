import ArgumentParser
import CosmosAPI
import Foundation

/// `cosmosctl web`: a dashboard URL with a one-time login token for the caller.
struct Web: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the dashboard's URL with a one-time login token (needs [web] listen in the configuration).",
        discussion: """
            Open the URL in a browser on this machine, or through `ssh -L 8780:127.0.0.1:8780 HOST` from a laptop. \
            The token works once, for [web] login_seconds; the page then acts as you, with your cosmosctl rights.
            """
    )
    @OptionGroup var globals: GlobalOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let login = try await globals.withClient {
            try await $0.send(.POST, APIPath.webLogin, as: WebLoginView.self)
        }
        if output.json { return try Output.printJSON(login) }
        print(login.url)
        // The URL alone on standard output (`URL=$(cosmosctl web)`); the note goes to standard error.
        FileHandle.standardError.write(Data("one use, valid until \(login.expiresAt)\n".utf8))
    }
}
