import CosmosDomain
import CosmosStore
import DockerEngine
import Foundation
import TarArchive

#if canImport(Glibc)
    import Glibc
#endif

/// Staging: `/cosmos/job.json`, `/cosmos/out/` and the job's inputs, in one streamed archive or a bound folder.
extension ContainerExecutor {
    /// Uploads `/cosmos/job.json`, an empty `/cosmos/out/` and every input as `/cosmos/in/<file name>` (a batch
    /// run's item's as `/cosmos/in/<index>/<file name>`); for an image with a runner, also its adapter in
    /// `/cosmos/bin/`.
    ///
    /// The archive is put at `/` with the `cosmos/` entries inside (the archive API needs existing parents). For
    /// an attempt with a staging folder (``StagingFolder``, bound at `/cosmos`), the same entries are written
    /// into the folder instead: no archive, no helper process in the engine.
    /// Inputs are checked again for the job's owner, opened without following a last link, and read through
    /// the open descriptor (`/proc/self/fd/N`), so a path swapped after the check cannot stage another file.
    /// Files are streamed in 1 MiB chunks, never held whole in memory.
    /// `jobOutputs` are inputs that name files of the outputs folder (resolved `job:` inputs): they are opened
    /// the same way, but the input roots and size limit, which are for users' files, do not apply.
    func stage(_ job: JobRecord, items: [JobRecord]? = nil, containerID: String, jobOutputs: Set<String> = [])
        async throws
    {
        var descriptors: [Int32] = []
        defer { for fd in descriptors { close(fd) } }
        var sources: [TarSource] = [
            .directory(path: "cosmos", mode: 0o755),
            // Staged with the epoch as its time: while it still has it, the job wrote nothing there (see
            // ``collectOutputs(_:containerID:)``).
            .directory(path: "cosmos/out", mode: 0o777, mtime: Self.untouchedOutputsTime),
            .directory(path: "cosmos/in", mode: 0o755),
            .bytes(
                path: "cosmos/job.json",
                contents: items.map { Self.batchDocument(for: job, items: $0) } ?? Self.jobDocument(for: job),
                mode: 0o644
            ),
        ]
        if let runner = runners.runner(for: job.image) {
            sources += AdapterScripts.stagedFiles(for: runner)
        }
        let policy = InputPolicy(settings: inputs)
        if let items {
            // Each item's inputs in its own folder, checked for the item's owner: names may repeat across items.
            for item in items where !item.spec.inputs.isEmpty {
                let folder = BatchRun.inputFolder(index: item.batchIndex ?? 0)
                sources.append(.directory(path: folder, mode: 0o755))
                try stageInputs(of: item, into: folder, policy: policy, sources: &sources, descriptors: &descriptors)
            }
        } else {
            try stageInputs(
                of: job,
                into: "cosmos/in",
                policy: policy,
                jobOutputs: jobOutputs,
                sources: &sources,
                descriptors: &descriptors
            )
        }
        let folder = stagingFolder(for: job)
        if folder.exists {
            do {
                try folder.write(sources)
            } catch let error as StagingError {
                throw ExecutorError.stagingFolder(error.description)
            }
            return
        }
        let chunks = try TarWriter().archiveChunks(sources)
        try await engine(for: job.host).putArchive(containerID, at: "/", archive: .chunks(chunks))
    }

    /// Adds `job`'s inputs to `sources` as `<folder>/<file name>`, each checked for the job's owner and opened.
    private func stageInputs(
        of job: JobRecord,
        into folder: String,
        policy: InputPolicy,
        jobOutputs: Set<String> = [],
        sources: inout [TarSource],
        descriptors: inout [Int32]
    ) throws {
        guard !job.spec.inputs.isEmpty else { return }
        let owner = CallerIdentity.lookup(uid: UInt32(job.ownerUid))
        for path in job.spec.inputs {
            let fd =
                jobOutputs.contains(path)
                ? try openOutput(path) : try Self.openChecked(path, policy: policy, owner: owner)
            descriptors.append(fd)
            sources.append(
                .file(
                    path: folder + "/" + JobSpec.inputFileName(path),
                    url: URL(fileURLWithPath: "/proc/self/fd/\(fd)"),
                    mode: 0o644
                )
            )
        }
    }

    /// Writes `/cosmos/cancel` into a running batch run: the indices of the items to skip, one per line.
    func signalCancelledItems(_ parent: JobRecord, indices: [Int]) async throws {
        let text = indices.sorted().map(String.init).joined(separator: "\n") + "\n"
        let folder = stagingFolder(for: parent)
        if folder.exists {
            try folder.replaceFile("cancel", contents: Array(text.utf8))
            return
        }
        let archive = TarWriter.archive([.file(path: "cosmos/cancel", contents: Array(text.utf8), mode: 0o644)])
        try await engine(for: parent.host).putArchive(parent.containerName, at: "/", archive: .bytes(archive))
    }

    /// Opens a file of the outputs folder: it must resolve inside that folder, to a regular file.
    func openOutput(_ path: String) throws -> Int32 {
        let root = InputPolicy.realPath(outputsDirectory) ?? outputsDirectory
        guard let resolved = InputPolicy.realPath(path), resolved.hasPrefix(root + "/") else {
            throw ExecutorError.inputRefused("\(path) is not a file of the outputs folder")
        }
        let fd = open(resolved, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ExecutorError.inputRefused("\(path): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw ExecutorError.inputRefused("\(path) is not a regular file")
        }
        return fd
    }

    /// Checks `path` for `owner` and opens the file it resolves to; the descriptor must name that same file.
    static func openChecked(_ path: String, policy: InputPolicy, owner: CallerIdentity) throws -> Int32 {
        let checked: InputPolicy.CheckedInput
        do {
            checked = try policy.check(path, caller: owner)
        } catch {
            throw ExecutorError.inputRefused(error.reason)
        }
        let fd = open(checked.resolved, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw ExecutorError.inputRefused("\(path): \(String(cString: strerror(errno)))")
        }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, buffer.count - 1)
        let opened =
            count > 0 ? String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        // The very file that was checked (a hard link swapped in keeps the path), still readable by the owner.
        var info = stat()
        guard opened == checked.resolved, fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG,
            UInt64(info.st_dev) == checked.device, UInt64(info.st_ino) == checked.inode,
            InputPolicy.allows(info, bits: 0o4, caller: owner) || owner.uid == 0,
            Int64(info.st_size) <= policy.settings.maxBytes
        else {
            close(fd)
            throw ExecutorError.inputRefused("\(path) changed while it was being staged")
        }
        return fd
    }
}
