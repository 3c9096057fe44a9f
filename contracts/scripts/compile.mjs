// Compiles contracts/src with the pinned solc-js and writes build/<Contract>.json (ABI, bytecode,
// compiler settings, source hash). With --check, compiles and fails (exit 1) when the checked-in
// build differs, so a stale ABI or bytecode cannot go unnoticed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const solc = require("solc");

const CONTRACTS = ["DeviceRegistry", "ProofBatchRegistry", "PopwToken", "RewardsDistributor", "DataCredits", "DevPriceFeed", "Staking"];
const SETTINGS = {
  optimizer: { enabled: true, runs: 10000 },
  viaIR: true,
  evmVersion: "paris",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
};

const check = process.argv.includes("--check");
const sources = {};
for (const f of readdirSync(join(root, "src")).filter((f) => f.endsWith(".sol")).sort()) {
  sources[`src/${f}`] = { content: readFileSync(join(root, "src", f), "utf8") };
}

// Hash of the sources the artifacts are built from: for each file, sorted by name,
// "<name>\n<sha256 hex of its bytes>\n". The Java build recomputes it without Node
// (ContractArtifactsTest); --check below also catches a change of compiler or settings.
const sourceHash =
  "sha256:" +
  createHash("sha256")
    .update(
      Object.entries(sources)
        .map(([name, { content }]) => `${name}\n${createHash("sha256").update(content, "utf8").digest("hex")}\n`)
        .join(""),
    )
    .digest("hex");

function findImports(path) {
  const candidate = join(root, "node_modules", path);
  return existsSync(candidate) ? { contents: readFileSync(candidate, "utf8") } : { error: `not found: ${path}` };
}

const output = JSON.parse(
  solc.compile(JSON.stringify({ language: "Solidity", sources, settings: SETTINGS }), { import: findImports }),
);
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(2);

let stale = 0;
mkdirSync(join(root, "build"), { recursive: true });
for (const name of CONTRACTS) {
  const c = output.contracts[`src/${name}.sol`][name];
  const artifact = {
    contractName: name,
    solcVersion: solc.version(),
    settings: SETTINGS,
    sourceHash,
    abi: c.abi,
    bytecode: "0x" + c.evm.bytecode.object,
  };
  const text = JSON.stringify(artifact, null, 2) + "\n";
  const file = join(root, "build", `${name}.json`);
  if (check) {
    const current = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (current !== text) {
      console.error(`contracts/build/${name}.json is stale: run 'npm --prefix contracts run compile' and commit the result`);
      stale++;
    }
  } else {
    writeFileSync(file, text);
    console.log(`wrote build/${name}.json (${(c.evm.bytecode.object.length / 2) | 0} bytes of init code)`);
  }
}
if (check && !stale) console.log(`contracts/build is up to date (solc ${solc.version()})`);
process.exit(stale ? 1 : 0);
