// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title PopwToken
/// @notice The network's ERC-20 (18 decimals, EIP-2612 permit). New tokens come only from reward
/// claims through the distributor, under a fixed emission schedule: epoch `e` (of `epochLength`
/// seconds from `genesis`) emits `initialEpochEmission >> (e / halvingEpochs)`, and the supply may
/// never exceed the emission of all epochs so far. Burning (data credits, slashing) lowers the
/// supply, so burned tokens can be emitted again as rewards: burn-and-mint (docs/rewards.md).
/// @notice Reward claims are made here, against the rewards root that only the RewardsDistributor
/// sets (after its circuit breaker): leaves (owner, cumulative) in OpenZeppelin StandardMerkleTree's
/// layout; a claim mints the difference between the leaf's cumulative amount and what the owner
/// claimed before, so one claim covers every past epoch and a second one pays nothing. Anyone may
/// send a claim for an owner (the tokens go to the owner): a relayer can pay the gas, for many
/// owners in one transaction with a multiproof.
/// @dev Gas: a holder's balance and the cumulative amount it has claimed share one storage slot
/// (128 bits each), and the total supply shares one with the mint ceiling, so a reward claim
/// writes two slots in all; and the claim is checked where the tokens are minted, with no call
/// between contracts. That is why this token implements ERC-20 itself instead of inheriting
/// OpenZeppelin's ERC20, whose balances are private; permit, EIP-712, nonces and the Merkle proof
/// check are OpenZeppelin's (docs/rewards.md, "Gas").
contract PopwToken is IERC20, IERC20Metadata, IERC20Permit, IERC20Errors, EIP712, Nonces {
    bytes32 private constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    /// @notice The only account that mints: the rewards distributor.
    address public immutable distributor;
    uint256 public immutable genesis;
    uint256 public immutable epochLength;
    uint256 public immutable initialEpochEmission;
    uint256 public immutable halvingEpochs;

    /// balance (low 128 bits) and cumulative claimed rewards (high 128 bits) per holder
    mapping(address => uint256) private _account;
    mapping(address => mapping(address => uint256)) private _allowances;
    /// total supply (low 128 bits) and mint ceiling (high 128 bits)
    uint256 private _supply;
    /// @notice The root reward claims are checked against (set by the distributor).
    bytes32 public rewardsRoot;

    error NotDistributor(address caller);
    error PermitExpired(uint256 deadline);
    error BadPermitSigner(address signer, address owner);
    error AboveEmission(uint256 supply, uint256 ceiling);
    error CeilingTooHigh(uint256 ceiling, uint256 cumulativeEmission);
    error ClaimBelowClaimed(uint256 cumulative, uint256 claimed);
    error BadProof(address owner, uint256 cumulative);
    error BadMultiProof();
    error Overflow();

    constructor(address distributor_, uint256 genesis_, uint256 epochLength_, uint256 initialEpochEmission_, uint256 halvingEpochs_)
        EIP712("PoPW Token", "1")
    {
        require(distributor_ != address(0) && epochLength_ > 0 && halvingEpochs_ > 0 && initialEpochEmission_ < 2 ** 120);
        distributor = distributor_;
        genesis = genesis_;
        epochLength = epochLength_;
        initialEpochEmission = initialEpochEmission_;
        halvingEpochs = halvingEpochs_;
    }

    function name() external pure returns (string memory) {
        return "PoPW Token";
    }

    function symbol() external pure returns (string memory) {
        return "POPW";
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    function totalSupply() external view returns (uint256) {
        return uint128(_supply);
    }

    /// @notice The highest total supply the distributor may mint up to, as last raised at a root commit.
    function mintCeiling() external view returns (uint256) {
        return _supply >> 128;
    }

    function balanceOf(address account) external view returns (uint256) {
        return uint128(_account[account]);
    }

    /// @notice Cumulative rewards `account` has claimed.
    function claimedOf(address account) external view returns (uint256) {
        return _account[account] >> 128;
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    // ----- emission schedule -----

    /// @notice The epoch at `timestamp` (0 before genesis).
    function epochAt(uint256 timestamp) public view returns (uint256) {
        return timestamp <= genesis ? 0 : (timestamp - genesis) / epochLength;
    }

    /// @notice What epoch `e` emits: the initial emission halved every `halvingEpochs` epochs.
    function emissionOf(uint256 e) public view returns (uint256) {
        uint256 halvings = e / halvingEpochs;
        return halvings >= 128 ? 0 : initialEpochEmission >> halvings;
    }

    /// @notice The emission of epochs 0 to `e`, inclusive: the most the supply may ever be at epoch `e`.
    function cumulativeEmission(uint256 e) public view returns (uint256 total) {
        uint256 halvings = e / halvingEpochs;
        for (uint256 k = 0; k < halvings && k < 128; k++) {
            total += halvingEpochs * (initialEpochEmission >> k);
        }
        total += (e % halvingEpochs + 1) * emissionOf(e);
    }

    // ----- minting: reward claims only -----

    /// @notice Sets the rewards root and raises the mint ceiling (distributor only, at each root
    /// commit); the ceiling never goes above the emission of all epochs up to now.
    function setRewardsRoot(bytes32 root, uint256 ceiling) external {
        if (msg.sender != distributor) revert NotDistributor(msg.sender);
        uint256 cap = cumulativeEmission(epochAt(block.timestamp));
        if (ceiling > cap) revert CeilingTooHigh(ceiling, cap);
        rewardsRoot = root;
        uint256 s = _supply;
        if (ceiling > s >> 128) _supply = (ceiling << 128) | uint128(s);
    }

    /// @notice Pays `owner` what the rewards root owes it, minus what it already claimed.
    /// @return paid the amount minted to `owner` (0 when it claimed everything already)
    function claim(address owner, uint256 cumulative, bytes32[] calldata proof) external returns (uint256 paid) {
        if (!MerkleProof.verifyCalldata(proof, rewardsRoot, _leaf(owner, cumulative))) revert BadProof(owner, cumulative);
        uint256 s = _supply;
        uint256 supply;
        (paid, supply) = _credit(owner, cumulative, uint128(s));
        if (supply > s >> 128) revert AboveEmission(supply, s >> 128);
        _supply = (s >> 128 << 128) | supply;
    }

    /// @notice Claims for many owners with one multiproof, as OpenZeppelin's `getMultiProof` makes
    /// it (`owners`, `cumulatives` in its leaf order; `proofFlags` packed into bits, flag `i` at bit
    /// `i % 256` of word `i / 256`, `flagCount` of them): the bits cost less calldata than a bool[].
    function claimMany(
        address[] calldata owners,
        uint256[] calldata cumulatives,
        bytes32[] calldata proof,
        uint256[] calldata proofFlags,
        uint256 flagCount
    ) external {
        uint256 n = owners.length;
        if (cumulatives.length != n || n + proof.length != flagCount + 1 || proofFlags.length * 256 < flagCount) revert BadMultiProof();
        if (_multiProofRoot(owners, cumulatives, proof, proofFlags, flagCount) != rewardsRoot) revert BadMultiProof();
        uint256 s = _supply;
        uint256 supply = uint128(s);
        for (uint256 i = 0; i < n; i++) {
            (, supply) = _credit(owners[i], cumulatives[i], supply);
        }
        if (supply > s >> 128) revert AboveEmission(supply, s >> 128);
        _supply = (s >> 128 << 128) | supply;
    }

    /// @dev OpenZeppelin's processMultiProof, with the leaves computed as they are consumed and
    /// the flags read from bits, in assembly: the same steps as MerkleProof.processMultiProof
    /// (a leaf while leaves remain, else the next computed hash; the second operand from the proof
    /// when the flag is 0), with the caller having checked that leaves + proof = flags + 1. A
    /// proof read past its end cannot pass: the position must equal the proof's length at the end.
    function _multiProofRoot(
        address[] calldata owners,
        uint256[] calldata cumulatives,
        bytes32[] calldata proof,
        uint256[] calldata proofFlags,
        uint256 flagCount
    ) private pure returns (bytes32 root) {
        uint256 o;
        uint256 c;
        uint256 p;
        uint256 f;
        assembly ("memory-safe") {
            o := owners.offset
            c := cumulatives.offset
            p := proof.offset
            f := proofFlags.offset
        }
        uint256 used;
        (root, used) = _process(o, c, owners.length, p, f, flagCount);
        if (used != proof.length) revert BadMultiProof();
    }

    /// @dev Positions are packed into one word: next leaf (bits 0-63), next computed hash (64-127),
    /// next proof element (128-191).
    function _process(uint256 o, uint256 c, uint256 n, uint256 p, uint256 f, uint256 flagCount)
        private
        pure
        returns (bytes32 root, uint256 proofUsed)
    {
        assembly ("memory-safe") {
            function leafAt(ow, cu, k) -> h {
                mstore(0x00, and(calldataload(add(ow, shl(5, k))), 0xffffffffffffffffffffffffffffffffffffffff))
                mstore(0x20, calldataload(add(cu, shl(5, k))))
                mstore(0x00, keccak256(0x00, 0x40))
                h := keccak256(0x00, 0x20)
            }
            // the next leaf or computed hash, and the positions after it
            function take(ow, cu, count, hs, ps) -> v, ps2 {
                let l := and(ps, 0xffffffffffffffff)
                switch lt(l, count)
                case 1 {
                    v := leafAt(ow, cu, l)
                    ps2 := add(ps, 1)
                }
                default {
                    v := mload(add(hs, shl(5, and(shr(64, ps), 0xffffffffffffffff))))
                    ps2 := add(ps, shl(64, 1))
                }
            }
            let hashes := mload(0x40)
            mstore(0x40, add(hashes, shl(5, flagCount)))
            let pos := 0
            for { let i := 0 } lt(i, flagCount) { i := add(i, 1) } {
                let a
                a, pos := take(o, c, n, hashes, pos)
                let b
                switch and(shr(and(i, 255), calldataload(add(f, shl(5, shr(8, i))))), 1)
                case 1 { b, pos := take(o, c, n, hashes, pos) }
                default {
                    b := calldataload(add(p, shl(5, shr(128, pos))))
                    pos := add(pos, shl(128, 1))
                }
                switch lt(a, b)
                case 1 {
                    mstore(0x00, a)
                    mstore(0x20, b)
                }
                default {
                    mstore(0x00, b)
                    mstore(0x20, a)
                }
                mstore(add(hashes, shl(5, i)), keccak256(0x00, 0x40))
            }
            proofUsed := shr(128, pos)
            switch gt(flagCount, 0)
            case 1 { root := mload(add(hashes, shl(5, sub(flagCount, 1)))) }
            default {
                switch gt(n, 0)
                case 1 { root := leafAt(o, c, 0) }
                default { root := calldataload(p) }
            }
        }
    }

    /// @dev Credits `owner` up to `cumulative`; returns what it paid and the supply after it.
    function _credit(address owner, uint256 cumulative, uint256 supply) private returns (uint256 paid, uint256) {
        if (cumulative >= 2 ** 128) revert Overflow();
        uint256 a = _account[owner];
        uint256 claimed = a >> 128;
        if (cumulative < claimed) revert ClaimBelowClaimed(cumulative, claimed);
        paid = cumulative - claimed;
        if (paid == 0) return (0, supply);
        supply += paid;
        if (supply >= 2 ** 128) revert Overflow();
        _account[owner] = (cumulative << 128) | (uint128(a) + paid); // balance <= supply < 2^128
        emit Transfer(address(0), owner, paid);
        return (paid, supply);
    }

    /// @dev keccak256(bytes.concat(keccak256(abi.encode(owner, cumulative)))), in scratch space.
    function _leaf(address owner, uint256 cumulative) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, owner)
            mstore(0x20, cumulative)
            mstore(0x00, keccak256(0x00, 0x40))
            h := keccak256(0x00, 0x20)
        }
    }

    // ----- ERC-20 -----

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        _approve(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        _spendAllowance(from, msg.sender, value);
        _transfer(from, to, value);
        return true;
    }

    /// @notice Burns the caller's tokens.
    function burn(uint256 value) external {
        _burn(msg.sender, value);
    }

    /// @notice Burns `account`'s tokens within the caller's allowance (data credits use it).
    function burnFrom(address account, uint256 value) external {
        _spendAllowance(account, msg.sender, value);
        _burn(account, value);
    }

    function permit(address owner, address spender, uint256 value, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
    {
        if (block.timestamp > deadline) revert PermitExpired(deadline);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, _useNonce(owner), deadline)));
        address signer = ECDSA.recover(digest, v, r, s);
        if (signer != owner) revert BadPermitSigner(signer, owner);
        _approve(owner, spender, value);
    }

    function nonces(address owner) public view override(IERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert ERC20InvalidReceiver(address(0));
        uint256 f = _account[from];
        if (uint128(f) < value) revert ERC20InsufficientBalance(from, uint128(f), value);
        unchecked {
            _account[from] = f - value; // the balance is the low half and does not underflow
        }
        uint256 t = _account[to];
        if (uint256(uint128(t)) + value >= 2 ** 128) revert Overflow();
        unchecked {
            _account[to] = t + value;
        }
        emit Transfer(from, to, value);
    }

    function _burn(address from, uint256 value) private {
        uint256 f = _account[from];
        if (uint128(f) < value) revert ERC20InsufficientBalance(from, uint128(f), value);
        unchecked {
            _account[from] = f - value;
            _supply -= value; // supply >= every balance
        }
        emit Transfer(from, address(0), value);
    }

    function _approve(address owner, address spender, uint256 value) private {
        if (spender == address(0)) revert ERC20InvalidSpender(address(0));
        _allowances[owner][spender] = value;
        emit Approval(owner, spender, value);
    }

    function _spendAllowance(address owner, address spender, uint256 value) private {
        uint256 current = _allowances[owner][spender];
        if (current != type(uint256).max) {
            if (current < value) revert ERC20InsufficientAllowance(spender, current, value);
            unchecked {
                _allowances[owner][spender] = current - value;
            }
        }
    }
}
