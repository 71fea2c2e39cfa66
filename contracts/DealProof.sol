// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title DealProof escrow
/// @notice A buyer deposits ETH for a data deal; the deposit goes to the seller
///         only on a release authorised by a registered enclave key (an EIP-712
///         `Release` signature over the deal's outcome), or back to the buyer
///         after the negotiation window. SPEC §7.
/// @dev    Trust: the owner registers enclave signing keys after verifying their
///         TDX quotes off chain. Anyone may submit a release (the relayer pays
///         gas, the enclave authorises). Payment is pushed with a checked `call`
///         after all state changes (checks-effects-interactions); a seller that
///         cannot receive ETH simply leaves the deal active until it can, and the
///         buyer can still refund after the window, so nothing is locked forever.
contract DealProof {
    enum Status { None, Active, Completed, Refunded }

    struct Deal {
        address buyer;
        address seller;
        uint256 amount;
        bytes32 dataHash;
        uint256 deadline;         // refund allowed from this timestamp on
        bytes32 attestationHash;  // report data [0:32] of the released outcome
        Status status;
    }

    bytes32 public constant RELEASE_TYPEHASH = keccak256(
        "Release(bytes32 dealId,address seller,bytes32 dataHash,uint256 amountWei,bytes32 reportData)");
    bytes32 private constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    // secp256k1n / 2: signatures with a higher s are malleable copies (EIP-2).
    uint256 private constant HALF_ORDER =
        0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    address public owner;
    mapping(bytes32 => Deal) public deals;
    mapping(address => bool) public isSigner;

    event DealCreated(bytes32 indexed dealId, address indexed buyer, address indexed seller, uint256 amount);
    event DealCompleted(bytes32 indexed dealId, address indexed seller, uint256 price);
    event DealRefunded(bytes32 indexed dealId, address indexed buyer, uint256 amount);
    event SignerAdded(address indexed signer);
    event SignerRemoved(address indexed signer);

    error NotOwner();
    error DealExists();
    error NoDeposit();
    error BadSeller();
    error NotActive();
    error AmountMismatch();
    error BadSignature();
    error UnknownSigner();
    error NotBuyer();
    error WindowOpen();
    error TransferFailed();

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    function addSigner(address signer) external onlyOwner {
        isSigner[signer] = true;
        emit SignerAdded(signer);
    }

    function removeSigner(address signer) external onlyOwner {
        isSigner[signer] = false;
        emit SignerRemoved(signer);
    }

    /// @param dealId keccak256(utf8(deal_id)), the seed's mapping
    function createDeal(bytes32 dealId, address seller, bytes32 dataHash, uint256 negotiationWindow)
        external payable
    {
        if (deals[dealId].status != Status.None) revert DealExists();
        if (msg.value == 0) revert NoDeposit();
        if (seller == address(0)) revert BadSeller();
        deals[dealId] = Deal({
            buyer: msg.sender,
            seller: seller,
            amount: msg.value,
            dataHash: dataHash,
            deadline: block.timestamp + negotiationWindow,
            attestationHash: bytes32(0),
            status: Status.Active
        });
        emit DealCreated(dealId, msg.sender, seller, msg.value);
    }

    function domainSeparator() public view returns (bytes32) {
        // Computed per call so a chain fork (new chain id) cannot replay releases.
        return keccak256(abi.encode(DOMAIN_TYPEHASH, keccak256("DealProof"), keccak256("1"),
                                    block.chainid, address(this)));
    }

    function releaseDigest(bytes32 dealId, address seller, bytes32 dataHash, uint256 amountWei,
                           bytes32 reportData) public view returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(RELEASE_TYPEHASH, dealId, seller, dataHash,
                                                  amountWei, reportData));
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    /// @notice Pays the deposit to the seller on an enclave's authorisation.
    ///         Callable by anyone; the signature is the authority.
    function releaseWithAttestation(bytes32 dealId, uint256 amountWei, bytes32 reportData,
                                    bytes calldata signature) external
    {
        Deal storage deal = deals[dealId];
        if (deal.status != Status.Active) revert NotActive();
        if (amountWei != deal.amount) revert AmountMismatch();
        bytes32 digest = releaseDigest(dealId, deal.seller, deal.dataHash, amountWei, reportData);
        address signer = _recover(digest, signature);
        if (!isSigner[signer]) revert UnknownSigner();

        deal.status = Status.Completed;
        deal.attestationHash = reportData;
        uint256 amount = deal.amount;
        address seller = deal.seller;
        emit DealCompleted(dealId, seller, amount);
        (bool ok, ) = seller.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice The buyer takes the deposit back once the window has passed.
    function refund(bytes32 dealId) external {
        Deal storage deal = deals[dealId];
        if (deal.status != Status.Active) revert NotActive();
        if (msg.sender != deal.buyer) revert NotBuyer();
        if (block.timestamp < deal.deadline) revert WindowOpen();

        deal.status = Status.Refunded;
        uint256 amount = deal.amount;
        emit DealRefunded(dealId, deal.buyer, amount);
        (bool ok, ) = payable(deal.buyer).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function getAttestationHash(bytes32 dealId) external view returns (bytes32) {
        return deals[dealId].attestationHash;
    }

    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address) {
        if (signature.length != 65) revert BadSignature();
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > HALF_ORDER || (v != 27 && v != 28)) revert BadSignature();
        address signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert BadSignature();
        return signer;
    }
}
