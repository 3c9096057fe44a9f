// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Coordinated} from "./Coordinated.sol";

/// @title ProofBatchRegistry
/// @notice The Merkle roots of the coordinators' batches of verified proofs of physical work.
/// @dev One storage slot per batch (the root); count, epoch and metadata hash live in the event,
/// which keeps a commit near 50k gas. Batch ids are per coordinator: each coordinator numbers its
/// own batches 1, 2, 3, ... A rewards distributor reads roots through {rootOf} and checks
/// envelopes through {verifyLeaf}.
contract ProofBatchRegistry is Coordinated {
    mapping(address => mapping(uint64 => bytes32)) private _roots;

    /// @notice A batch root was recorded for the first time.
    event BatchCommitted(
        address indexed coordinator,
        uint64 indexed batchId,
        bytes32 merkleRoot,
        uint32 count,
        uint64 epoch,
        bytes32 metadataHash
    );

    error ZeroRoot();
    error ConflictingRoot(uint64 batchId, bytes32 committed, bytes32 offered);

    constructor(address initialAdmin) Coordinated(initialAdmin) {}

    /// @notice Records a batch root. Idempotent per (coordinator, batchId): committing the same
    /// root again changes nothing and returns false; a different root for the same id reverts.
    function commit(uint64 batchId, bytes32 merkleRoot, uint32 count, uint64 epoch, bytes32 metadataHash)
        external
        onlyCoordinator
        returns (bool committed)
    {
        if (merkleRoot == bytes32(0)) revert ZeroRoot();
        bytes32 existing = _roots[msg.sender][batchId];
        if (existing == merkleRoot) return false;
        if (existing != bytes32(0)) revert ConflictingRoot(batchId, existing, merkleRoot);
        _roots[msg.sender][batchId] = merkleRoot;
        emit BatchCommitted(msg.sender, batchId, merkleRoot, count, epoch, metadataHash);
        return true;
    }

    /// @notice The committed root of a coordinator's batch, or zero.
    function rootOf(address coordinator, uint64 batchId) external view returns (bytes32) {
        return _roots[coordinator][batchId];
    }

    /// @notice The leaf of an envelope hash, as the coordinator builds it (OpenZeppelin
    /// StandardMerkleTree convention: double-hashed).
    function leafOf(bytes32 envelopeHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(envelopeHash))));
    }

    /// @notice True when `leaf` is in the committed batch, by the sorted-pair `proof`.
    function verifyLeaf(address coordinator, uint64 batchId, bytes32 leaf, bytes32[] calldata proof)
        public
        view
        returns (bool)
    {
        bytes32 root = _roots[coordinator][batchId];
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice True when the envelope with this hash is in the committed batch.
    function verifyEnvelope(address coordinator, uint64 batchId, bytes32 envelopeHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return verifyLeaf(coordinator, batchId, leafOf(envelopeHash), proof);
    }
}
