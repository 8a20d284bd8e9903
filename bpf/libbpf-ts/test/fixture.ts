// Builds the test BPF object (clang -target bpf against this kernel's vmlinux.h) into .output/.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const outputDir = join(here, "..", ".output");
const header = join(here, "fixtures", "lbt_test.h");

function newer(a: string, b: string): boolean {
  return statSync(a).mtimeMs > statSync(b).mtimeMs;
}

/** Returns the path of a compiled fixture (test/fixtures/<name>.bpf.c), rebuilding it when its sources changed. */
export function buildFixture(name = "lbt_test"): string {
  const source = join(here, "fixtures", `${name}.bpf.c`);
  mkdirSync(outputDir, { recursive: true });
  const vmlinux = join(outputDir, "vmlinux.h");
  if (!existsSync(vmlinux)) {
    const text = execFileSync("bpftool", ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"], {
      maxBuffer: 256 * 1024 * 1024,
    });
    writeFileSync(vmlinux, text);
  }
  const object = join(outputDir, `${name}.bpf.o`);
  if (!existsSync(object) || newer(source, object) || newer(header, object)) {
    execFileSync(
      "clang",
      ["-O2", "-g", "-target", "bpf", "-D__TARGET_ARCH_x86", `-I${outputDir}`, `-I${dirname(source)}`, "-c", source, "-o", object],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
  }
  return object;
}
