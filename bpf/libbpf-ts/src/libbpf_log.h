// Captures libbpf's log output (verifier logs included) so errors can quote its last lines.
#pragma once

#include <string>

void InstallLogCapture();
void ClearLog();
std::string LogTail(size_t lines);
