import Foundation
import Testing

@testable import DockerEngine

@Suite("Wire format")
struct WireFormatTests {
    static func json(_ value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("ContainerConfig encodes only what is set, with the engine's key names")
    func minimalConfig() throws {
        let object = try Self.json(ContainerConfig(image: "busybox:latest", cmd: ["true"]))
        #expect(Set(object.keys) == ["Image", "Cmd", "HostConfig"])
        #expect((object["HostConfig"] as? [String: Any])?.isEmpty == true)
    }

    @Test("ContainerConfig with everything the daemon uses")
    func fullConfig() throws {
        let config = ContainerConfig(
            image: "img",
            cmd: ["run"],
            entrypoint: [],
            env: ["A=1"],
            labels: ["k": "v"],
            workingDir: "/work",
            user: "1000:1000",
            hostConfig: HostConfig(
                networkMode: "none",
                memory: 8 << 20,
                memorySwap: 8 << 20,
                mounts: [.bind(source: "/host/in", target: "/in")],
                deviceRequests: [.gpus(deviceIDs: ["0", "2"])],
                capDrop: ["ALL"],
                securityOpt: ["no-new-privileges"],
                pidsLimit: 256,
                autoRemove: false,
                initProcess: true
            )
        )
        let object = try Self.json(config)
        #expect(
            Set(object.keys) == ["Image", "Cmd", "Entrypoint", "Env", "Labels", "WorkingDir", "User", "HostConfig"]
        )
        let host = try #require(object["HostConfig"] as? [String: Any])
        #expect(
            Set(host.keys) == [
                "NetworkMode", "Memory", "MemorySwap", "Mounts", "DeviceRequests", "CapDrop", "SecurityOpt",
                "PidsLimit", "AutoRemove", "Init",
            ]
        )
        #expect(host["Init"] as? Bool == true)
        #expect(host["Memory"] as? Int == 8 << 20)
        let mount = try #require((host["Mounts"] as? [[String: Any]])?.first)
        #expect(mount["Type"] as? String == "bind")
        #expect(mount["Source"] as? String == "/host/in")
        #expect(mount["Target"] as? String == "/in")
        #expect(mount["ReadOnly"] as? Bool == true)
        let device = try #require((host["DeviceRequests"] as? [[String: Any]])?.first)
        #expect(device["Driver"] as? String == "nvidia")
        #expect(device["DeviceIDs"] as? [String] == ["0", "2"])
        #expect(device["Capabilities"] as? [[String]] == [["gpu"]])
        #expect(device["Count"] == nil)
        #expect(try JSONDecoder().decode(ContainerConfig.self, from: JSONEncoder().encode(config)) == config)
    }

    @Test("filters are the engine's JSON map")
    func filters() throws {
        let text = try DockerClient.encodeFilters(["label": ["a=b", "c"], "status": ["exited"]])
        #expect(text == #"{"label":["a=b","c"],"status":["exited"]}"#)
    }

    @Test("query values are percent-encoded; image paths keep / and :")
    func percentEncoding() {
        #expect(DockerClient.percentEncode(#"{"label":["a=b"]}"#) == "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D")
        #expect(DockerClient.percentEncode("/data dir/ü") == "%2Fdata%20dir%2F%C3%BC")
        #expect(DockerClient.percentEncodePath("cosmos-test/busybox:latest") == "cosmos-test/busybox:latest")
    }

    @Test("wait results with and without an error")
    func waitResult() throws {
        let ok = try JSONDecoder().decode(WaitResult.self, from: Data(#"{"Error":null,"StatusCode":3}"#.utf8))
        #expect(ok == WaitResult(statusCode: 3))
        let failed = try JSONDecoder().decode(
            WaitResult.self,
            from: Data(#"{"Error":{"Message":"boom"},"StatusCode":-1}"#.utf8)
        )
        #expect(failed == WaitResult(statusCode: -1, errorMessage: "boom"))
    }

    @Test("info keeps runtime names")
    func info() throws {
        let text = #"""
            {"Name":"host","ServerVersion":"20.10.24","NCPU":2,"MemTotal":1024,
             "Runtimes":{"runc":{"path":"runc"},"nvidia":{"path":"nvidia-container-runtime","runtimeArgs":[]}},
             "Swarm":{"LocalNodeState":"inactive"}}
            """#
        let info = try JSONDecoder().decode(DockerInfo.self, from: Data(text.utf8))
        #expect(info.runtimes == ["nvidia", "runc"])
        #expect(info.ncpu == 2 && info.memTotal == 1024 && info.name == "host")
    }

    @Test("events decode the engine's mixed-case keys")
    func event() throws {
        let text = #"""
            {"status":"die","id":"abc","from":"img","Type":"container","Action":"die",
             "Actor":{"ID":"abc","Attributes":{"exitCode":"0","name":"n","k":"v"}},
             "scope":"local","time":1700000000,"timeNano":1700000000123456789}
            """#
        let event = try JSONDecoder().decode(DockerEvent.self, from: Data(text.utf8))
        #expect(event.type == "container" && event.action == "die" && event.actor.id == "abc")
        #expect(event.actor.attributes["exitCode"] == "0")
        #expect(event.timeNano == 1_700_000_000_123_456_789)
    }

    @Test("inspect maps the zero time to nil and strips the leading slash")
    func inspect() throws {
        let text = #"""
            {"Id":"abc","Name":"/job-1","Created":"2026-11-24T02:39:09.123456789Z","Image":"sha256:1",
             "State":{"Status":"created","Running":false,"Paused":false,"Restarting":false,"OOMKilled":false,
                      "Dead":false,"Pid":0,"ExitCode":0,"Error":"","StartedAt":"0001-01-01T00:00:00Z",
                      "FinishedAt":"0001-01-01T00:00:00Z"},
             "Config":{"Image":"busybox","Labels":null,"Env":null,"Cmd":["true"]},"RestartCount":0}
            """#
        let details = try JSONDecoder().decode(ContainerDetails.self, from: Data(text.utf8))
        #expect(details.name == "job-1")
        #expect(details.state.status == .created)
        #expect(details.state.startedAt == nil && details.state.finishedAt == nil)
        #expect(details.created?.nanoseconds == 123_456_789)
        #expect(details.config.labels.isEmpty && details.config.env.isEmpty)
    }

    @Test("DockerError checks")
    func dockerError() {
        let error = DockerError(
            status: 409,
            message: "Conflict. The container name is already in use",
            method: "POST",
            path: "/containers/create"
        )
        #expect(error.isConflict && !error.isNotFound && !error.isNotModified)
        #expect(error.description.contains("409"))
        #expect(DockerError(status: 404, message: "", method: "GET", path: "/x").isNotFound)
        #expect(DockerError(status: 304, message: "", method: "POST", path: "/x").isNotModified)
    }
}
