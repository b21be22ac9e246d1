// File: client/bench/proc_cpu.h
//
// CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat.
#ifndef HALLMARK_CLIENT_BENCH_PROC_CPU_H_
#define HALLMARK_CLIENT_BENCH_PROC_CPU_H_

#include <sys/types.h>

#include <optional>

namespace hallmark::bench {

std::optional<double> ProcessCpuSeconds(pid_t pid);

}  // namespace hallmark::bench

#endif  // HALLMARK_CLIENT_BENCH_PROC_CPU_H_
