// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Coordinated} from "./Coordinated.sol";

/// @title DeviceRegistry
/// @notice Which on-chain account owns each device, with its key type, kind and status.
/// @dev A device id is keccak256 of the device's multicodec public key: the bytes inside its
/// did:key (for example 0xe7 0x01 followed by the 33-byte compressed secp256k1 key).
/// Registration is authorized either by the device itself (secp256k1 devices: an EIP-712
/// signature recovered with ecrecover) or by an authorized coordinator's attestation (any key
/// type; Ed25519 and P-256 keys cannot be checked on-chain cheaply, so the coordinator verifies
/// the device's signed registration off-chain and attests it).
contract DeviceRegistry is Coordinated, EIP712 {
    uint8 public constant KEY_ED25519 = 1;
    uint8 public constant KEY_ECDSA_P256 = 2;
    uint8 public constant KEY_ECDSA_SECP256K1 = 3;

    uint8 public constant STATUS_NONE = 0;
    uint8 public constant STATUS_ACTIVE = 1;
    uint8 public constant STATUS_INACTIVE = 2;

    bytes32 public constant REGISTER_TYPEHASH =
        keccak256("Register(bytes32 deviceId,address owner,uint8 kind,uint256 nonce)");

    struct Device {
        address owner;
        uint8 keyType;
        uint8 kind;
        uint8 status;
    }

    mapping(bytes32 => Device) private _devices;

    /// @notice The next EIP-712 nonce of a self-registering device; it makes a signature single-use.
    mapping(bytes32 => uint256) public nonces;

    /// @notice `attestedBy` is the coordinator for an attested registration, zero for a self-signed one.
    event DeviceRegistered(
        bytes32 indexed deviceId, address indexed owner, uint8 keyType, uint8 kind, address indexed attestedBy
    );
    event DeviceOwnerChanged(bytes32 indexed deviceId, address indexed previousOwner, address indexed newOwner);
    event DeviceDeactivated(bytes32 indexed deviceId, address by);

    error BadPublicKey();
    error BadKeyType(uint8 keyType);
    error BadDeviceSignature();
    error AlreadyRegistered(bytes32 deviceId);
    error UnknownDevice(bytes32 deviceId);
    error NotDeviceOwner(bytes32 deviceId, address caller);
    error DeviceInactive(bytes32 deviceId);

    constructor(address initialAdmin) Coordinated(initialAdmin) EIP712("PoPW DeviceRegistry", "1") {}

    /// @notice Registers a secp256k1 device by its own signature.
    /// @param publicKey the uncompressed key without its 0x04 prefix: x || y, 64 bytes
    /// @param signature 65 bytes r || s || v over the EIP-712 digest of
    /// Register(deviceId, owner, kind, nonces[deviceId])
    function registerSelfSigned(bytes calldata publicKey, address owner, uint8 kind, bytes calldata signature)
        external
        returns (bytes32 deviceId)
    {
        if (publicKey.length != 64) revert BadPublicKey();
        if (owner == address(0)) revert ZeroAddress();
        deviceId = secp256k1DeviceId(publicKey);
        address deviceAddress = address(uint160(uint256(keccak256(publicKey))));
        uint256 nonce = nonces[deviceId];
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(REGISTER_TYPEHASH, deviceId, owner, kind, nonce)));
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signature);
        if (err != ECDSA.RecoverError.NoError || signer != deviceAddress) revert BadDeviceSignature();
        nonces[deviceId] = nonce + 1;
        _register(deviceId, KEY_ECDSA_SECP256K1, owner, kind, address(0));
    }

    /// @notice Registers a device on a coordinator's word that it checked the device's own signed
    /// registration. Repeating an identical attestation is a no-op, so a coordinator may retry.
    function registerAttested(bytes32 deviceId, uint8 keyType, address owner, uint8 kind)
        external
        onlyCoordinator
    {
        if (keyType < KEY_ED25519 || keyType > KEY_ECDSA_SECP256K1) revert BadKeyType(keyType);
        if (owner == address(0)) revert ZeroAddress();
        Device storage d = _devices[deviceId];
        if (d.status == STATUS_ACTIVE && d.owner == owner && d.keyType == keyType && d.kind == kind) return;
        _register(deviceId, keyType, owner, kind, msg.sender);
    }

    /// @notice Hands a device to a new owner; only the current owner may, and only while active.
    function transferDevice(bytes32 deviceId, address newOwner) external {
        Device storage d = _devices[deviceId];
        if (d.status == STATUS_NONE) revert UnknownDevice(deviceId);
        if (d.owner != msg.sender) revert NotDeviceOwner(deviceId, msg.sender);
        if (d.status != STATUS_ACTIVE) revert DeviceInactive(deviceId);
        if (newOwner == address(0)) revert ZeroAddress();
        emit DeviceOwnerChanged(deviceId, d.owner, newOwner);
        d.owner = newOwner;
    }

    /// @notice Retires a device for good (for example a leaked key). Its owner or the admin may.
    function deactivate(bytes32 deviceId) external {
        Device storage d = _devices[deviceId];
        if (d.status == STATUS_NONE) revert UnknownDevice(deviceId);
        if (msg.sender != d.owner && msg.sender != admin) revert NotDeviceOwner(deviceId, msg.sender);
        if (d.status != STATUS_ACTIVE) revert DeviceInactive(deviceId);
        d.status = STATUS_INACTIVE;
        emit DeviceDeactivated(deviceId, msg.sender);
    }

    function deviceOf(bytes32 deviceId)
        external
        view
        returns (address owner, uint8 keyType, uint8 kind, uint8 status)
    {
        Device storage d = _devices[deviceId];
        return (d.owner, d.keyType, d.kind, d.status);
    }

    /// @notice The owner of an active device, or zero: where a rewards distributor pays.
    function activeOwnerOf(bytes32 deviceId) external view returns (address) {
        Device storage d = _devices[deviceId];
        return d.status == STATUS_ACTIVE ? d.owner : address(0);
    }

    /// @notice The id of a secp256k1 device from its 64-byte uncompressed key (x || y).
    function secp256k1DeviceId(bytes calldata publicKey) public pure returns (bytes32) {
        if (publicKey.length != 64) revert BadPublicKey();
        bytes1 prefix = (uint8(publicKey[63]) & 1) == 0 ? bytes1(0x02) : bytes1(0x03);
        return keccak256(abi.encodePacked(bytes2(0xe701), prefix, publicKey[0:32]));
    }

    /// @notice The EIP-712 digest a device signs to register itself.
    function registrationDigest(bytes32 deviceId, address owner, uint8 kind, uint256 nonce)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(REGISTER_TYPEHASH, deviceId, owner, kind, nonce)));
    }

    function _register(bytes32 deviceId, uint8 keyType, address owner, uint8 kind, address attestedBy) private {
        Device storage d = _devices[deviceId];
        if (d.status != STATUS_NONE) revert AlreadyRegistered(deviceId);
        d.owner = owner;
        d.keyType = keyType;
        d.kind = kind;
        d.status = STATUS_ACTIVE;
        emit DeviceRegistered(deviceId, owner, keyType, kind, attestedBy);
    }
}
