// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Coordinated} from "./Coordinated.sol";
import {PopwToken} from "./PopwToken.sol";

/// @title RewardsDistributor
/// @notice Commits, after each epoch, the rewards of every owner: one Merkle root over leaves (owner,
/// cumulative amount owed over all epochs so far), OpenZeppelin StandardMerkleTree's layout, leaf =
/// keccak256(bytes.concat(keccak256(abi.encode(owner, cumulative)))). Only authorized coordinators
/// commit; epochs only move forward; the total owed never decreases and rises by at most
/// `maxRootMultiple` times the emission of the root's epoch (Helium caps payouts at 5 x the epoch
/// emission per 24 h). Owners claim at the token (PopwToken.claim, claimMany), which checks proofs
/// against the root this contract sets and mints within the emission ceiling.
contract RewardsDistributor is Coordinated {
    PopwToken public immutable token;
    uint256 public immutable maxRootMultiple;

    /// @notice The epoch of the latest root (low 64 bits) and the total owed it declares (high 192 bits).
    uint256 private _epochAndTotal;
    bool private _committed;

    event RootCommitted(uint64 indexed epoch, bytes32 root, uint256 totalOwed, address indexed coordinator);

    error EpochNotNewer(uint64 epoch, uint64 latest);
    error EpochNotOver(uint64 epoch, uint256 current);
    error TotalDecreased(uint256 totalOwed, uint256 previous);
    error CircuitBreaker(uint256 increase, uint256 limit);

    constructor(address initialAdmin, PopwToken token_, uint256 maxRootMultiple_) Coordinated(initialAdmin) {
        token = token_;
        maxRootMultiple = maxRootMultiple_;
    }

    /// @notice The latest root (claims are checked against it at the token).
    function root() external view returns (bytes32) {
        return token.rewardsRoot();
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
    /// amounts sum to `newTotalOwed`.
    function commitRoot(uint64 rootEpoch, bytes32 newRoot, uint256 newTotalOwed) external onlyCoordinator {
        uint256 et = _epochAndTotal;
        uint64 latest = uint64(et);
        uint256 previous = et >> 64;
        if (rootEpoch <= latest && _committed) revert EpochNotNewer(rootEpoch, latest);
        uint256 current = token.epochAt(block.timestamp);
        if (rootEpoch >= current) revert EpochNotOver(rootEpoch, current);
        if (newTotalOwed < previous) revert TotalDecreased(newTotalOwed, previous);
        uint256 limit = maxRootMultiple * token.emissionOf(rootEpoch);
        if (newTotalOwed - previous > limit) revert CircuitBreaker(newTotalOwed - previous, limit);
        _epochAndTotal = (newTotalOwed << 64) | rootEpoch;
        if (!_committed) _committed = true;
        token.setRewardsRoot(newRoot, token.cumulativeEmission(rootEpoch));
        emit RootCommitted(rootEpoch, newRoot, newTotalOwed, msg.sender);
    }
}
