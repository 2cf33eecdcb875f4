extension DockerClient {
    /// `GET /images/{name}/json`: details of a local image, by reference (`repo:tag`) or id.
    ///
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if the image is not present locally.
    public func inspectImage(_ name: String) async throws -> ImageDetails {
        try await self.decode(ImageDetails.self, Request(.GET, "/images/\(Self.percentEncodePath(name))/json"))
    }

    /// Whether an image is present locally (never pulls).
    public func imageExists(_ name: String) async throws -> Bool {
        do {
            _ = try await self.inspectImage(name)
            return true
        } catch let error as DockerError where error.isNotFound {
            return false
        }
    }
}
