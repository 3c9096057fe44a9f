/**
 * GPU capacity proofs (docs/gpu-proofs.md): the work a challenge asks for (INT8 x INT8 -> INT32
 * products of seed-derived matrices), the Merkle commitment over result tiles, which tiles the
 * coordinator names, how an opened tile is checked (recomputation or Freivalds' test), the memory
 * probe, a CPU reference prover, and the signed challenge messages. Shared by the device side
 * (provers) and the coordinator (verifier), so both follow one definition; the tests check it
 * against an independent naive product and the documented vectors.
 */
package dev.popw.gpuproof;
