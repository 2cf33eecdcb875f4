import CosmosDomain
import Foundation
import GRDB

extension JobRecord {
    /// The decoder of the JSON columns (`spec`, `devices`, `outputs`).
    private static let columnDecoder = JSONDecoder()

    /// Reads a row by column name, as the Codable conformance would, without its per-row key conversion.
    ///
    /// Lists and scheduling rounds read many rows: the snake-case conversion and keyed containers cost more
    /// than the rest of a row together. `JobRecordRowTests` checks this against the Codable decoding.
    public init(row: Row) throws {
        try self.init(row: row, spec: nil, columns: JobColumns(row.columnNames))
    }

    /// Reads a row whose columns are at `columns`, taking `spec` as the job's spec when given (the caller
    /// decodes it).
    init(row: Row, spec: JobSpec?, columns: JobColumns) throws {
        let decoder = Self.columnDecoder
        func at(_ column: JobColumns.Column) throws -> Int {
            let index = columns.positions[column.rawValue]
            guard index >= 0 else { throw DatabaseError(message: "no column job.\(column.name)") }
            return index
        }
        func json<T: Decodable>(_ column: JobColumns.Column, as type: T.Type) throws -> T {
            guard let text = row[try at(column)] as String? else {
                throw DatabaseError(message: "job.\(column.name) is NULL")
            }
            return try decoder.decode(type, from: Data(text.utf8))
        }
        /// A list column, most often `[]` (no decoder needed then).
        func strings(_ column: JobColumns.Column) throws -> [String] {
            if let text = row[try at(column)] as String?, text == "[]" { return [] }
            return try json(column, as: [String].self)
        }
        self.init(
            id: row[try at(.id)],
            name: row[try at(.name)],
            kind: row[try at(.kind)],
            shape: row[try at(.shape)],
            state: row[try at(.state)],
            priority: row[try at(.priority)],
            seq: row[try at(.seq)],
            image: row[try at(.image)],
            spec: try spec ?? json(.spec, as: JobSpec.self),
            gpus: row[try at(.gpus)],
            ownerUid: row[try at(.ownerUid)],
            attempts: row[try at(.attempts)],
            retryBase: row[try at(.retryBase)],
            host: row[try at(.host)],
            devices: try strings(.devices),
            containerId: row[try at(.containerId)],
            exitCode: row[try at(.exitCode)],
            oomKilled: row[try at(.oomKilled)],
            error: row[try at(.error)],
            reason: row[try at(.reason)],
            createdAt: row[try at(.createdAt)],
            startedAt: row[try at(.startedAt)],
            finishedAt: row[try at(.finishedAt)],
            notBefore: row[try at(.notBefore)],
            outputs: try strings(.outputs),
            batchId: row[try at(.batchId)],
            parentId: row[try at(.parentId)],
            batchIndex: row[try at(.batchIndex)],
            heldByBatch: row[try at(.heldByBatch)],
            progress: row[try at(.progress)],
            loadSeconds: row[try at(.loadSeconds)],
            sourceJobId: row[try at(.sourceJobId)],
            heldByRun: row[try at(.heldByRun)],
            enhancedPrompt: row[try at(.enhancedPrompt)],
            gpuSeconds: row[try at(.gpuSeconds)]
        )
    }
}

/// Where each column of the job table is in a statement's rows: found once per statement, then read by position
/// for every value of every row (a lookup by name hashes the name, and GRDB also lower-cases it).
struct JobColumns {
    /// The columns a ``JobRecord`` reads.
    enum Column: Int, CaseIterable {
        case id
        case name
        case kind
        case shape
        case state
        case priority
        case seq
        case image
        case gpus
        case ownerUid
        case attempts
        case retryBase
        case host
        case containerId
        case exitCode
        case oomKilled
        case error
        case reason
        case createdAt
        case startedAt
        case finishedAt
        case notBefore
        case batchId
        case parentId
        case batchIndex
        case heldByBatch
        case progress
        case loadSeconds
        case sourceJobId
        case heldByRun
        case enhancedPrompt
        case gpuSeconds
        case spec
        case devices
        case outputs

        /// The column's name in the table.
        var name: String { Self.names[rawValue] }

        /// Every column's name, by raw value (`ownerUid` is `owner_uid`).
        static let names: [String] = allCases.map { column in
            String(describing: column).reduce(into: "") { name, character in
                if character.isUppercase { name += "_" + character.lowercased() } else { name.append(character) }
            }
        }

        /// The raw value of each name.
        static let byName: [String: Int] = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    }

    /// The position of each ``Column`` (by its raw value) in the rows; -1 when the statement lacks it.
    let positions: [Int]
    /// The position of `spec`, which ``JobRecord/fetchAllDecodingInParallel(_:sql:arguments:)`` reads itself.
    var spec: Int? { positions[Column.spec.rawValue] >= 0 ? positions[Column.spec.rawValue] : nil }

    init(_ names: some Sequence<String>) {
        var positions = [Int](repeating: -1, count: Column.allCases.count)
        for (index, name) in names.enumerated() {
            if let column = Column.byName[name], positions[column] < 0 { positions[column] = index }
        }
        self.positions = positions
    }
}

extension JobRecord {
    /// The jobs a query selects, their specs decoded on every core: decoding that JSON is most of the cost of a
    /// long listing.
    ///
    /// The rows are read in order on the calling (database) thread, where looking up a column by name is cheap;
    /// only the spec texts are handed to the other threads, each slice decoding its own part with its own decoder
    /// (a decoder takes a lock per call).
    public static func fetchAllDecodingInParallel(_ db: Database, sql: String, arguments: StatementArguments)
        throws -> [JobRecord]
    {
        var records: [JobRecord] = []
        var texts: [String] = []
        let placeholder = JobSpec(image: "")
        let statement = try db.makeStatement(sql: sql)
        let columns = JobColumns(statement.columnNames)
        guard let specColumn = columns.spec else { throw DatabaseError(message: "no column job.spec") }
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            guard let text = row[specColumn] as String? else { throw DatabaseError(message: "job.spec is NULL") }
            records.append(try JobRecord(row: row, spec: placeholder, columns: columns))
            texts.append(text)
        }
        let slices = min(ProcessInfo.processInfo.activeProcessorCount, texts.count / 128)
        guard slices > 1 else {
            for index in records.indices {
                records[index].spec = try columnDecoder.decode(JobSpec.self, from: Data(texts[index].utf8))
            }
            return records
        }
        var specs = [JobSpec?](repeating: nil, count: texts.count)
        var failures = [(any Error)?](repeating: nil, count: slices)
        specs.withUnsafeMutableBufferPointer { specs in
            failures.withUnsafeMutableBufferPointer { errors in
                let (specs, errors, texts) = (UnsafeSendable(specs), UnsafeSendable(errors), texts)
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let decoder = JSONDecoder()
                    do {
                        for index in texts.count * slice / slices..<texts.count * (slice + 1) / slices {
                            specs.value[index] = try decoder.decode(JobSpec.self, from: Data(texts[index].utf8))
                        }
                    } catch {
                        errors.value[slice] = error
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        for index in records.indices { records[index].spec = specs[index]! }
        return records
    }
}

/// The result buffers the slices of ``JobRecord/fetchAllDecodingInParallel(_:sql:arguments:)`` share; each
/// slice writes only its own indices.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
