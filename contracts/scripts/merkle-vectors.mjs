// Roots and proofs from OpenZeppelin's own JavaScript library (@openzeppelin/merkle-tree, pinned in
// package.json), for the coordinator's differential test (MerkleTreeOpenZeppelinIT).
//
// Reads one JSON object from stdin:
//   {"trees": [{"type": "standard", "encoding": ["bytes32"], "values": [["0x.."], ...]},
//              {"type": "standard", "encoding": ["address", "uint256"], "values": [["0x..", "123"], ...]},
//              {"type": "simple", "values": ["0x..", ...]}]}
// "standard" is StandardMerkleTree.of(values, encoding); "simple" is SimpleMerkleTree.of(values),
// whose values are the leaves themselves. Integer fields are decimal or 0x strings.
// Writes {"trees": [{"root": "0x..", "proofs": [["0x..", ...], ...]}, ...]} to stdout: for each
// tree its root and, per value in input order, getProof(value).
//
//   node scripts/merkle-vectors.mjs < input.json
import { SimpleMerkleTree, StandardMerkleTree } from "@openzeppelin/merkle-tree";

const input = JSON.parse(await readStdin());
const trees = input.trees.map((t) => {
  let tree;
  if (t.type === "standard") {
    const values = t.values.map((v) => v.map((x, i) => (/^u?int/.test(t.encoding[i]) ? BigInt(x) : x)));
    tree = StandardMerkleTree.of(values, t.encoding);
    return { root: tree.root, proofs: values.map((v) => tree.getProof(v)) };
  }
  if (t.type === "simple") {
    tree = SimpleMerkleTree.of(t.values);
    return { root: tree.root, proofs: t.values.map((v) => tree.getProof(v)) };
  }
  throw new Error(`unknown tree type ${t.type}`);
});
process.stdout.write(JSON.stringify({ trees }) + "\n");

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) {
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}
