"""Turns cuda/tests/build/ptxas-sm*.txt (written by build.sh) into the Markdown table of cuda/README.md."""
import glob
import re

NAMES = {"ILi64ELi8E": "small BN=8", "ILi64ELi16E": "small BN=16", "ILi64ELi32E": "small BN=32",
         "ILi64ELi64E": "small BN=64", "ILi128ELi128E": "large 128x128", "ILi128ELi256E": "wide 128x256"}

print("| arch | kernel | in | registers | stack B | spill st B | spill ld B |")
print("|---|---|---|---|---|---|---|")
for path in sorted(glob.glob("cuda/tests/build/ptxas-sm*.txt")):
    arch = path.split("ptxas-")[1][:-4]
    text = open(path).read()
    for block in re.split(r"ptxas info    : Compiling entry function '", text)[1:]:
        name = block.split("'")[0]
        if "probe" in name:
            kind = "mma probe"
        else:
            kind = next((v for k, v in NAMES.items() if k in name), name[:40])
        dtype = "bf16" if "Lb1E" in name else ("f16" if "Lb0E" in name else "-")
        regs = re.search(r"Used (\d+) registers", block).group(1)
        m = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", block)
        print(f"| {arch} | {kind} | {dtype} | {regs} | {m.group(1)} | {m.group(2)} | {m.group(3)} |")
