// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title Coordinated
/// @notice An admin and the set of coordinators it authorizes. The admin is the deployer until it
/// hands the role on; coordinators are the accounts that attest registrations and commit batches.
abstract contract Coordinated {
    address public admin;
    mapping(address => bool) public isCoordinator;

    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    event CoordinatorSet(address indexed coordinator, bool authorized);

    error NotAdmin(address caller);
    error NotCoordinator(address caller);
    error ZeroAddress();

    constructor(address initialAdmin) {
        if (initialAdmin == address(0)) revert ZeroAddress();
        admin = initialAdmin;
        emit AdminTransferred(address(0), initialAdmin);
    }

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    modifier onlyCoordinator() {
        if (!isCoordinator[msg.sender]) revert NotCoordinator(msg.sender);
        _;
    }

    function setCoordinator(address coordinator, bool authorized) external onlyAdmin {
        if (coordinator == address(0)) revert ZeroAddress();
        isCoordinator[coordinator] = authorized;
        emit CoordinatorSet(coordinator, authorized);
    }

    function transferAdmin(address newAdmin) external onlyAdmin {
        if (newAdmin == address(0)) revert ZeroAddress();
        emit AdminTransferred(admin, newAdmin);
        admin = newAdmin;
    }
}
