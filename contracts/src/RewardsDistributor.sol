// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Coordinated} from "./Coordinated.sol";
import {PopwToken} from "./PopwToken.sol";

/// @title RewardsDistributor
/// @notice Pays owners for the work their devices proved. After each epoch an authorized
/// coordinator commits one Merkle root over leaves (owner, cumulative amount owed over all epochs so
/// far), in OpenZeppelin StandardMerkleTree's layout: leaf = keccak256(bytes.concat(keccak256(
/// abi.encode(owner, cumulative)))). A claim against the latest root mints the difference between
/// the leaf's cumulative amount and what the owner claimed before, so one claim covers every past
/// epoch and a second claim pays nothing. Anyone may send a claim for an owner (the tokens go to the
/// owner), so a relayer can pay the gas, for many owners in one transaction.
/// @notice Circuit breaker: a root may raise the total owed by at most `maxRootMultiple` times the
/// emission of its epoch (Helium caps payouts at 5 x the epoch emission per 24 h).
contract RewardsDistributor is Coordinated {
    PopwToken public immutable token;
    uint256 public immutable maxRootMultiple;

    /// @notice The root claims are checked against.
    bytes32 public root;
    /// @notice The epoch of `root` (low 64 bits) and the total owed it declares (high 192 bits).
    uint256 private _epochAndTotal;

    event RootCommitted(uint64 indexed epoch, bytes32 root, uint256 totalOwed, address indexed coordinator);

    error EpochNotNewer(uint64 epoch, uint64 latest);
    error EpochNotOver(uint64 epoch, uint256 current);
    error TotalDecreased(uint256 totalOwed, uint256 previous);
    error CircuitBreaker(uint256 increase, uint256 limit);
    error BadProof(address owner, uint256 cumulative);
    error LengthMismatch();

    constructor(address initialAdmin, PopwToken token_, uint256 maxRootMultiple_) Coordinated(initialAdmin) {
        token = token_;
        maxRootMultiple = maxRootMultiple_;
    }

    /// @notice The epoch of the latest root (0 with no root yet).
    function epoch() external view returns (uint64) {
        return uint64(_epochAndTotal);
    }

    /// @notice The cumulative amount owed to all owners, as the latest root declares.
    function totalOwed() external view returns (uint256) {
        return _epochAndTotal >> 64;
    }

    /// @notice Commits the rewards of a closed epoch: `newRoot` over (owner, cumulative) leaves whose
    /// amounts sum to `newTotalOwed`. Epochs only move forward, the total never decreases, and it
    /// rises by at most `maxRootMultiple` x the epoch's emission.
    function commitRoot(uint64 rootEpoch, bytes32 newRoot, uint256 newTotalOwed) external onlyCoordinator {
        uint256 et = _epochAndTotal;
        uint64 latest = uint64(et);
        uint256 previous = et >> 64;
        if (rootEpoch <= latest && (latest != 0 || root != bytes32(0))) revert EpochNotNewer(rootEpoch, latest);
        uint256 current = token.epochAt(block.timestamp);
        if (rootEpoch >= current) revert EpochNotOver(rootEpoch, current);
        if (newTotalOwed < previous) revert TotalDecreased(newTotalOwed, previous);
        uint256 limit = maxRootMultiple * token.emissionOf(rootEpoch);
        if (newTotalOwed - previous > limit) revert CircuitBreaker(newTotalOwed - previous, limit);
        root = newRoot;
        _epochAndTotal = (newTotalOwed << 64) | rootEpoch;
        token.raiseCeiling(token.cumulativeEmission(rootEpoch));
        emit RootCommitted(rootEpoch, newRoot, newTotalOwed, msg.sender);
    }

    /// @notice Pays `owner` what it is owed up to the latest root, minus what it already claimed.
    /// @return paid the amount minted to `owner`
    function claim(address owner, uint256 cumulative, bytes32[] calldata proof) external returns (uint256 paid) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(owner, cumulative))));
        if (!MerkleProof.verifyCalldata(proof, root, leaf)) revert BadProof(owner, cumulative);
        return token.mintClaim(owner, cumulative);
    }

    /// @notice Claims for many owners in one transaction with one multiproof
    /// (OpenZeppelin's `multiProofVerify`); `owners` and `cumulatives` in the order of the
    /// multiproof's leaves.
    function claimMany(
        address[] calldata owners,
        uint256[] calldata cumulatives,
        bytes32[] calldata proof,
        bool[] calldata proofFlags
    ) external {
        uint256 n = owners.length;
        if (cumulatives.length != n) revert LengthMismatch();
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(owners[i], cumulatives[i]))));
        }
        if (!MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves)) revert BadProof(address(0), 0);
        for (uint256 i = 0; i < n; i++) {
            token.mintClaim(owners[i], cumulatives[i]);
        }
    }
}
