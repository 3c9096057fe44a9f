// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {Coordinated} from "./Coordinated.sol";
import {PopwToken} from "./PopwToken.sol";

/// @title Staking
/// @notice An owner stakes tokens on each of its devices; the rewards engine pays only devices whose
/// stake is at least the minimum and was staked by the device's registered owner (that stake is the
/// owner's consent to the device). Unstaking waits `unbondingDelay`, during which the stake can
/// still be slashed.
/// @notice Slashing for equivocation: two envelopes signed by the same device key with the same
/// sequence number and different bytes. For secp256k1 and P-256 devices the contract checks the
/// evidence itself (ecrecover over SHA-256; OpenZeppelin's P256, which uses the P256VERIFY
/// precompile where the chain has one); for Ed25519 devices an authorized coordinator attests it,
/// since Ed25519 cannot be verified on-chain at a sane cost.
/// @dev A device id is keccak256 of the multicodec public key inside its did:key, as in
/// DeviceRegistry; the telemetry's `device_id` field (protobuf field 1) is those bytes.
contract Staking is Coordinated {
    PopwToken public immutable token;
    uint256 public immutable unbondingDelay;
    /// @notice Share of a slashed stake (basis points) taken, and share of that paid to the reporter.
    uint256 public immutable slashBps;
    uint256 public immutable bountyBps;

    bytes private constant DOMAIN = "popw.v1.Telemetry\x00";
    uint256 private constant SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 private constant P256_HALF_N = 0x7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8;

    struct Stake {
        address owner;
        uint64 releaseAt;
        uint128 amount;
        uint128 unbonding;
    }

    mapping(bytes32 => Stake) private _stakes;
    mapping(bytes32 => mapping(uint64 => bool)) public slashedAt;

    event Staked(bytes32 indexed deviceId, address indexed owner, uint256 amount);
    event Unbonding(bytes32 indexed deviceId, uint256 amount, uint64 releaseAt);
    event Withdrawn(bytes32 indexed deviceId, address indexed owner, uint256 amount);
    event Slashed(bytes32 indexed deviceId, uint64 sequence, uint256 amount, address indexed reporter, address attestedBy);

    error NotStakeOwner(bytes32 deviceId, address caller);
    error NothingToWithdraw(bytes32 deviceId);
    error StillUnbonding(uint64 releaseAt);
    error InsufficientStake(uint256 amount, uint256 requested);
    error NotEquivocation(string why);
    error AlreadySlashed(bytes32 deviceId, uint64 sequence);
    error BadEvidence(string why);

    constructor(address initialAdmin, PopwToken token_, uint256 unbondingDelay_, uint256 slashBps_, uint256 bountyBps_)
        Coordinated(initialAdmin)
    {
        require(slashBps_ <= 10_000 && bountyBps_ <= 10_000);
        token = token_;
        unbondingDelay = unbondingDelay_;
        slashBps = slashBps_;
        bountyBps = bountyBps_;
    }

    function stakeOf(bytes32 deviceId) external view returns (address owner, uint256 amount, uint256 unbonding, uint64 releaseAt) {
        Stake storage s = _stakes[deviceId];
        return (s.owner, s.amount, s.unbonding, s.releaseAt);
    }

    /// @notice Stakes `amount` of the caller's tokens on `deviceId` (approve this contract first).
    /// The first staker of a device owns its stake; only it can add to or withdraw it.
    function stake(bytes32 deviceId, uint256 amount) external {
        Stake storage s = _stakes[deviceId];
        if (s.owner == address(0)) {
            s.owner = msg.sender;
        } else if (s.owner != msg.sender) {
            revert NotStakeOwner(deviceId, msg.sender);
        }
        token.transferFrom(msg.sender, address(this), amount);
        s.amount += uint128(amount);
        emit Staked(deviceId, msg.sender, amount);
    }

    /// @notice Starts unstaking `amount`: it stops counting for rewards now and can be withdrawn
    /// after the unbonding delay (which restarts with each unbond).
    function unbond(bytes32 deviceId, uint256 amount) external {
        Stake storage s = _stakes[deviceId];
        if (s.owner != msg.sender) revert NotStakeOwner(deviceId, msg.sender);
        if (amount > s.amount) revert InsufficientStake(s.amount, amount);
        s.amount -= uint128(amount);
        s.unbonding += uint128(amount);
        s.releaseAt = uint64(block.timestamp + unbondingDelay);
        emit Unbonding(deviceId, amount, s.releaseAt);
    }

    /// @notice Pays out what finished unbonding.
    function withdraw(bytes32 deviceId) external {
        Stake storage s = _stakes[deviceId];
        if (s.owner != msg.sender) revert NotStakeOwner(deviceId, msg.sender);
        if (s.unbonding == 0) revert NothingToWithdraw(deviceId);
        if (block.timestamp < s.releaseAt) revert StillUnbonding(s.releaseAt);
        uint256 amount = s.unbonding;
        s.unbonding = 0;
        token.transfer(msg.sender, amount);
        emit Withdrawn(deviceId, msg.sender, amount);
    }

    /// @notice Slashes a secp256k1 or P-256 device that signed two different telemetries with the
    /// same sequence number. `publicKey` is the uncompressed key (x || y, 64 bytes); each signature
    /// is the envelope's 64-byte r || s (low-S) over SHA-256("popw.v1.Telemetry\0" || telemetry).
    function slashEquivocation(
        bytes calldata publicKey,
        bytes calldata telemetryA,
        bytes calldata signatureA,
        bytes calldata telemetryB,
        bytes calldata signatureB
    ) external returns (uint256 slashed) {
        if (publicKey.length != 64) revert BadEvidence("public key must be 64 bytes (x || y)");
        (bytes32 deviceId, uint64 sequence, bool k1) = _samePlace(publicKey, telemetryA, telemetryB);
        if (!_verify(k1, publicKey, telemetryA, signatureA)) revert BadEvidence("first signature does not verify");
        if (!_verify(k1, publicKey, telemetryB, signatureB)) revert BadEvidence("second signature does not verify");
        return _slash(deviceId, sequence, address(0));
    }

    /// @notice Slashes a device on a coordinator's attestation that it holds equivocation evidence
    /// (the two envelopes, kept by the coordinator; `evidenceHash` names them) for `sequence`.
    function slashAttested(bytes32 deviceId, uint64 sequence, bytes32 evidenceHash) external onlyCoordinator returns (uint256) {
        evidenceHash; // recorded in the transaction's calldata and the coordinator's database
        return _slash(deviceId, sequence, msg.sender);
    }

    function _slash(bytes32 deviceId, uint64 sequence, address attestedBy) private returns (uint256 slashed) {
        if (slashedAt[deviceId][sequence]) revert AlreadySlashed(deviceId, sequence);
        slashedAt[deviceId][sequence] = true;
        Stake storage s = _stakes[deviceId];
        uint256 fromStake = uint256(s.amount) * slashBps / 10_000;
        uint256 fromUnbonding = uint256(s.unbonding) * slashBps / 10_000;
        s.amount -= uint128(fromStake);
        s.unbonding -= uint128(fromUnbonding);
        slashed = fromStake + fromUnbonding;
        uint256 bounty = slashed * bountyBps / 10_000;
        if (bounty > 0) token.transfer(msg.sender, bounty);
        if (slashed > bounty) token.burn(slashed - bounty);
        emit Slashed(deviceId, sequence, slashed, msg.sender, attestedBy);
    }

    /// @dev The two telemetries name the same device (this key) and sequence, and differ.
    function _samePlace(bytes calldata publicKey, bytes calldata a, bytes calldata b)
        private
        pure
        returns (bytes32 deviceId, uint64 sequence, bool secp256k1)
    {
        if (keccak256(a) == keccak256(b)) revert NotEquivocation("the same telemetry");
        (bytes32 idA, uint64 seqA) = _idHashAndSequence(a);
        (bytes32 idB, uint64 seqB) = _idHashAndSequence(b);
        if (idA != idB) revert NotEquivocation("different devices");
        if (seqA != seqB) revert NotEquivocation("different sequence numbers");
        bytes1 parity = (uint8(publicKey[63]) & 1) == 0 ? bytes1(0x02) : bytes1(0x03);
        bytes32 x = bytes32(publicKey[0:32]);
        if (idA == keccak256(abi.encodePacked(bytes2(0xe701), parity, x))) return (idA, seqA, true);
        if (idA == keccak256(abi.encodePacked(bytes2(0x8024), parity, x))) return (idA, seqA, false);
        revert BadEvidence("telemetry device_id is not this secp256k1 or P-256 key");
    }

    function _idHashAndSequence(bytes calldata t) private pure returns (bytes32, uint64) {
        (bytes calldata id, uint64 seq) = _deviceAndSequence(t);
        return (keccak256(id), seq);
    }

    function _verify(bool secp256k1, bytes calldata publicKey, bytes calldata telemetry, bytes calldata signature)
        private
        view
        returns (bool)
    {
        if (signature.length != 64) return false;
        bytes32 h = sha256(bytes.concat(DOMAIN, telemetry));
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        if (secp256k1) {
            if (uint256(s) > SECP256K1_HALF_N || uint256(s) == 0) return false;
            address expected = address(uint160(uint256(keccak256(publicKey))));
            return ecrecover(h, 27, r, s) == expected || ecrecover(h, 28, r, s) == expected;
        }
        if (uint256(s) > P256_HALF_N) return false;
        return P256.verify(h, r, s, bytes32(publicKey[0:32]), bytes32(publicKey[32:64]));
    }

    /// @dev Reads fields 1 (device_id, bytes) and 2 (sequence, varint) of a serialized Telemetry,
    /// skipping every other field by its wire type.
    function _deviceAndSequence(bytes calldata t) private pure returns (bytes calldata id, uint64 seq) {
        uint256 pos;
        bool haveId; // a missing sequence is 0 (proto3 omits default values)
        id = t[0:0];
        while (pos < t.length) {
            uint256 tag;
            (tag, pos) = _varint(t, pos);
            uint256 wire = tag & 7;
            uint256 field = tag >> 3;
            if (wire == 0) {
                uint256 v;
                (v, pos) = _varint(t, pos);
                if (field == 2) {
                    if (v > type(uint64).max) revert BadEvidence("sequence out of range");
                    seq = uint64(v);
                }
            } else if (wire == 2) {
                uint256 len;
                (len, pos) = _varint(t, pos);
                if (pos + len > t.length) revert BadEvidence("truncated telemetry");
                if (field == 1) {
                    id = t[pos:pos + len];
                    haveId = true;
                }
                pos += len;
            } else if (wire == 1) {
                pos += 8;
            } else if (wire == 5) {
                pos += 4;
            } else {
                revert BadEvidence("unsupported protobuf wire type");
            }
        }
        if (pos != t.length) revert BadEvidence("truncated telemetry");
        if (!haveId) revert BadEvidence("telemetry has no device_id");
    }

    function _varint(bytes calldata t, uint256 pos) private pure returns (uint256 v, uint256 next) {
        for (uint256 shift = 0; shift < 70; shift += 7) {
            if (pos >= t.length) revert BadEvidence("truncated varint");
            uint8 b = uint8(t[pos++]);
            v |= uint256(b & 0x7f) << shift;
            if (b & 0x80 == 0) return (v, pos);
        }
        revert BadEvidence("varint too long");
    }
}
