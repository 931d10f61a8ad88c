// Is a broker's process still there? The active controller's probe behind early fencing
// (quorum_controller.h, "Liveness probes"): a TCP connect to each endpoint the broker registered.
//
// The verdict is kGone only when every address of every endpoint actively refused the
// connection (ECONNREFUSED: the host answered and no process listens on the port), which is what
// a killed or crashed ferryd leaves behind on a running host. A connect that succeeds (a live or
// stopped process: the kernel accepts for it), times out (a partition, a dead host), or fails in
// any other way (unreachable, unresolvable) is kInconclusive: the session runs its course.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "controller/metadata/image.h"

namespace ferry::controller {

enum class ProbeVerdict { kGone, kInconclusive };

// Probes `endpoints` one after another; calls `done` once, on `executor`, within about
// `timeout_ms`. Every handler runs on `executor` (pass a strand when the io_context has several
// threads).
void probe_endpoints(const boost::asio::any_io_executor& executor,
                     std::vector<metadata::Endpoint> endpoints, int64_t timeout_ms,
                     std::function<void(ProbeVerdict)> done);

}  // namespace ferry::controller
