// CSystemd: the parts of libsystemd that SystemdKit uses (libsystemd-dev on Debian).
//
// sd-daemon: sd_notify, sd_pid_notify, sd_watchdog_enabled, sd_listen_fds, sd_is_socket_unix.
// sd-journal: sd_journal_sendv (Swift cannot call the variadic sd_journal_send).
#ifndef CSYSTEMD_SHIM_H
#define CSYSTEMD_SHIM_H

#include <sys/uio.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#endif
