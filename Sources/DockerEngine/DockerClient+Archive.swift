import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat

/// A tar archive to upload with ``DockerClient/putArchive(id:path:body:noOverwriteDirNonDir:copyUIDGID:)``.
public struct ArchiveBody: Sendable {
    let body: HTTPClientRequest.Body

    /// An archive held in memory.
    public static func bytes(_ bytes: [UInt8]) -> ArchiveBody {
        ArchiveBody(body: .bytes(ByteBuffer(bytes: bytes)))
    }

    /// An archive held in a `ByteBuffer`.
    public static func buffer(_ buffer: ByteBuffer) -> ArchiveBody {
        ArchiveBody(body: .bytes(buffer))
    }

    /// An archive produced chunk by chunk, e.g. by a tar writer reading files.
    ///
    /// - Parameter length: The total byte count if known (sent as `Content-Length`), `nil` for chunked encoding.
    ///   A wrong length fails the upload.
    public static func stream<Chunks: AsyncSequence & Sendable>(
        _ chunks: Chunks,
        length: Int? = nil
    ) -> ArchiveBody where Chunks.Element == [UInt8] {
        ArchiveBody(body: .stream(ByteBufferChunks(base: chunks), length: length.map { .known(Int64($0)) } ?? .unknown))
    }

    /// An archive produced as `ByteBuffer`s; otherwise like the `[UInt8]` variant.
    public static func stream<Chunks: AsyncSequence & Sendable>(
        _ chunks: Chunks,
        length: Int? = nil
    ) -> ArchiveBody where Chunks.Element == ByteBuffer {
        ArchiveBody(body: .stream(chunks, length: length.map { .known(Int64($0)) } ?? .unknown))
    }
}

/// A tar archive read from a container by ``DockerClient/getArchive(id:path:)``: the path's metadata and the
/// archive's bytes as they arrive.
///
/// Iterate it once (a second iterator traps). Dropping it without iterating to the end closes the connection.
public struct ContainerArchive: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    /// Metadata of the requested path, from the engine's `X-Docker-Container-Path-Stat` header.
    public let stat: ContainerPathStat?
    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self.body.makeAsyncIterator())
    }

    /// Reads all chunks into one array.
    ///
    /// - Throws: An error if the archive is larger than `maxBytes`.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        var buffer = try await self.body.collect(upTo: maxBytes)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// Yields the response body's chunks as byte arrays.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var body: HTTPClientResponse.Body.AsyncIterator

        init(body: HTTPClientResponse.Body.AsyncIterator) {
            self.body = body
        }

        public mutating func next() async throws -> [UInt8]? {
            while let buffer = try await self.body.next() {
                if buffer.readableBytes > 0 {
                    return Array(buffer.readableBytesView)
                }
            }
            return nil
        }
    }
}

/// Metadata of a path inside a container, as the archive endpoints report it.
public struct ContainerPathStat: Sendable, Equatable, Decodable {
    /// The base name of the path.
    public var name: String
    /// Size in bytes (of the file; directories report the engine's directory size).
    public var size: Int64
    /// Go `os.FileMode` bits: permissions in the low 9 bits, type flags high (directory is `1 << 31`).
    public var mode: UInt32
    /// Modification time.
    public var mtime: DockerTimestamp?
    /// The target if the path is a symbolic link, else empty.
    public var linkTarget: String

    /// Whether the path is a directory.
    public var isDirectory: Bool { self.mode & (1 << 31) != 0 }

    enum CodingKeys: String, CodingKey {
        case name
        case size
        case mode
        case mtime
        case linkTarget
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decodeIfPresent(String.self, forKey: .name) ?? ""
        self.size = try container.decodeIfPresent(Int64.self, forKey: .size) ?? 0
        self.mode = try container.decodeIfPresent(UInt32.self, forKey: .mode) ?? 0
        self.mtime = try container.decodeTimestampIfPresent(forKey: .mtime)
        self.linkTarget = try container.decodeIfPresent(String.self, forKey: .linkTarget) ?? ""
    }
}

extension DockerClient {
    /// `PUT /containers/{id}/archive`: extracts a tar archive into directory `path` of the container.
    ///
    /// Works on created, running and stopped containers. The upload has no read timeout.
    /// - Parameters:
    ///   - path: An existing directory in the container.
    ///   - noOverwriteDirNonDir: Fails instead of replacing a directory with a non-directory or vice versa.
    ///   - copyUIDGID: Sets ownership to the container's user instead of the archive's uid/gid.
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if the container or `path` does not exist, 403 if the
    ///   root filesystem is read-only, 400 for an invalid archive.
    public func putArchive(
        id: String,
        path: String,
        body: ArchiveBody,
        noOverwriteDirNonDir: Bool = false,
        copyUIDGID: Bool = false
    ) async throws {
        var query: [(name: String, value: String)] = [("path", path)]
        if noOverwriteDirNonDir {
            query.append(("noOverwriteDirNonDir", "true"))
        }
        if copyUIDGID {
            query.append(("copyUIDGID", "true"))
        }
        var request = Request(.PUT, "/containers/\(Self.percentEncode(id))/archive", query: query)
        request.body = body.body
        request.contentType = "application/x-tar"
        try await self.discardingBody(request, lane: .long(headDeadline: nil))
    }

    /// `GET /containers/{id}/archive`: a tar archive of file or directory `path` in the container, streamed.
    ///
    /// The archive's single top-level entry is the base name of `path` (for `/data/out`, entries are `out/...`).
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if the container or `path` does not exist.
    public func getArchive(id: String, path: String) async throws -> ContainerArchive {
        let request = Request(.GET, "/containers/\(Self.percentEncode(id))/archive", query: [("path", path)])
        let response = try await self.execute(request, lane: .long(headDeadline: self.requestTimeout))
        let stat = response.headers.first(name: "X-Docker-Container-Path-Stat").flatMap(Self.decodePathStat)
        return ContainerArchive(stat: stat, body: response.body)
    }

    /// `HEAD /containers/{id}/archive`: metadata of `path` in the container without reading it.
    ///
    /// - Throws: ``DockerError`` with ``DockerError/isNotFound`` if the container or `path` does not exist.
    public func statPath(id: String, path: String) async throws -> ContainerPathStat {
        let request = Request(.HEAD, "/containers/\(Self.percentEncode(id))/archive", query: [("path", path)])
        let response = try await self.execute(request)
        guard let header = response.headers.first(name: "X-Docker-Container-Path-Stat"),
            let stat = Self.decodePathStat(header)
        else {
            throw DockerClientError.invalidResponse(path: request.path, reason: "missing X-Docker-Container-Path-Stat")
        }
        return stat
    }

    private static func decodePathStat(_ header: String) -> ContainerPathStat? {
        guard let data = Data(base64Encoded: header) else {
            return nil
        }
        return try? JSONDecoder().decode(ContainerPathStat.self, from: data)
    }
}

/// Maps an `AsyncSequence` of byte arrays to one of `ByteBuffer`s.
struct ByteBufferChunks<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == [UInt8] {
    typealias Element = ByteBuffer

    let base: Base

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator())
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator

        mutating func next() async throws -> ByteBuffer? {
            while let bytes = try await self.base.next() {
                if !bytes.isEmpty {
                    return ByteBuffer(bytes: bytes)
                }
            }
            return nil
        }
    }
}
