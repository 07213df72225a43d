// Config-space register offsets, field masks and capability ids: the one place memmap spells
// them. Names follow pciutils' lib/header.h (PCI_COMMAND -> k_cfg_command, ...); each group
// names the specification section that defines it:
//   PCI Local Bus Specification 3.0 (PCI 3.0), PCI-to-PCI Bridge Architecture Specification
//   1.2 (P2P 1.2), PCI Express Base Specification 6.0 (PCIe 6.0), PC Card Standard 8.0
//   (CardBus bridge, header type 2).
#pragma once

#include <cstddef>
#include <cstdint>

namespace memmap::pci {

// --- Common header (PCI 3.0 6.2.1-6.2.4; PCIe 6.0 7.5.1.1) --------------------------------
inline constexpr std::size_t k_cfg_vendor_id = 0x00;       // PCI_VENDOR_ID
inline constexpr std::size_t k_cfg_device_id = 0x02;       // PCI_DEVICE_ID
inline constexpr std::size_t k_cfg_command = 0x04;         // PCI_COMMAND (6.2.2)
inline constexpr std::size_t k_cfg_status = 0x06;          // PCI_STATUS (6.2.3)
inline constexpr std::size_t k_cfg_revision = 0x08;        // PCI_REVISION_ID
inline constexpr std::size_t k_cfg_class_prog = 0x09;      // PCI_CLASS_PROG (3 bytes to 0x0b)
inline constexpr std::size_t k_cfg_class_device = 0x0a;    // PCI_CLASS_DEVICE (sub class)
inline constexpr std::size_t k_cfg_class_base = 0x0b;      // base class
inline constexpr std::size_t k_cfg_header_type = 0x0e;     // PCI_HEADER_TYPE (6.2.1)
inline constexpr std::size_t k_cfg_header_size = 0x40;     // the standard header's bytes
inline constexpr std::size_t k_cfg_space_size = 0x100;     // conventional config space

inline constexpr std::uint16_t k_command_io = 0x1;         // PCI_COMMAND_IO
inline constexpr std::uint16_t k_command_memory = 0x2;     // PCI_COMMAND_MEMORY
inline constexpr std::uint16_t k_status_cap_list = 0x10;   // PCI_STATUS_CAP_LIST
inline constexpr std::uint8_t k_header_type_mask = 0x7f;   // PCI_HEADER_TYPE's layout bits
inline constexpr std::uint8_t k_header_multifunction = 0x80;
inline constexpr int k_header_type_normal = 0;             // PCI_HEADER_TYPE_NORMAL
inline constexpr int k_header_type_bridge = 1;             // PCI_HEADER_TYPE_BRIDGE
inline constexpr int k_header_type_cardbus = 2;            // PCI_HEADER_TYPE_CARDBUS

// --- Base Address Registers and expansion ROM (PCI 3.0 6.2.5.1, 6.2.5.2; PCIe 6.0
//     7.5.1.2.1, 7.5.1.2.4) -----------------------------------------------------------------
inline constexpr std::size_t k_cfg_bar0 = 0x10;            // PCI_BASE_ADDRESS_0
inline constexpr int k_bars_normal = 6;                    // BARs of a type 0 header
inline constexpr int k_bars_bridge = 2;                    // ... of a type 1 header
inline constexpr int k_bars_cardbus = 1;                   // ... of a type 2 header
inline constexpr std::uint32_t k_bar_space_io = 0x1;       // PCI_BASE_ADDRESS_SPACE_IO
inline constexpr std::uint32_t k_bar_mem_type_mask = 0x6;  // PCI_BASE_ADDRESS_MEM_TYPE_MASK
inline constexpr std::uint32_t k_bar_mem_type_1m = 0x2;    // PCI_BASE_ADDRESS_MEM_TYPE_1M
inline constexpr std::uint32_t k_bar_mem_type_64 = 0x4;    // PCI_BASE_ADDRESS_MEM_TYPE_64
inline constexpr std::uint32_t k_bar_mem_prefetch = 0x8;   // PCI_BASE_ADDRESS_MEM_PREFETCH
inline constexpr std::uint32_t k_bar_io_address_mask = ~std::uint32_t{0x3};   // ..._IO_MASK
inline constexpr std::uint32_t k_bar_mem_address_mask = ~std::uint32_t{0xf};  // ..._MEM_MASK
inline constexpr std::size_t k_cfg_subsystem_vendor = 0x2c;  // PCI_SUBSYSTEM_VENDOR_ID
inline constexpr std::size_t k_cfg_subsystem_id = 0x2e;      // PCI_SUBSYSTEM_ID
inline constexpr std::size_t k_cfg_rom = 0x30;               // PCI_ROM_ADDRESS
inline constexpr std::uint32_t k_rom_enable = 0x1;           // PCI_ROM_ADDRESS_ENABLE
inline constexpr std::uint32_t k_rom_address_mask = ~std::uint32_t{0x7ff};  // PCI_ROM_ADDRESS_MASK
inline constexpr std::size_t k_cfg_cap_ptr = 0x34;           // PCI_CAPABILITY_LIST (6.7)

// --- Type 1 (bridge) header (P2P 1.2 3.2.5.2-3.2.5.13; PCIe 6.0 7.5.1.3) -------------------
inline constexpr std::size_t k_cfg_primary_bus = 0x18;       // PCI_PRIMARY_BUS (3 bytes: pri, sec, sub)
inline constexpr std::size_t k_cfg_io_base = 0x1c;           // PCI_IO_BASE (3.2.5.6)
inline constexpr std::size_t k_cfg_io_limit = 0x1d;          // PCI_IO_LIMIT
inline constexpr std::size_t k_cfg_memory_base = 0x20;       // PCI_MEMORY_BASE (3.2.5.8)
inline constexpr std::size_t k_cfg_memory_limit = 0x22;      // PCI_MEMORY_LIMIT
inline constexpr std::size_t k_cfg_pref_base = 0x24;         // PCI_PREF_MEMORY_BASE (3.2.5.9)
inline constexpr std::size_t k_cfg_pref_limit = 0x26;        // PCI_PREF_MEMORY_LIMIT
inline constexpr std::size_t k_cfg_pref_base_upper = 0x28;   // PCI_PREF_BASE_UPPER32 (3.2.5.10)
inline constexpr std::size_t k_cfg_pref_limit_upper = 0x2c;  // PCI_PREF_LIMIT_UPPER32
inline constexpr std::size_t k_cfg_io_base_upper = 0x30;     // PCI_IO_BASE_UPPER16 (3.2.5.11)
inline constexpr std::size_t k_cfg_io_limit_upper = 0x32;    // PCI_IO_LIMIT_UPPER16
inline constexpr std::size_t k_cfg_bridge_rom = 0x38;        // PCI_ROM_ADDRESS1 (3.2.5.13)
inline constexpr std::uint8_t k_io_range_type_mask = 0x0f;   // PCI_IO_RANGE_TYPE_MASK
inline constexpr std::uint8_t k_io_range_type_16 = 0x00;     // PCI_IO_RANGE_TYPE_16
inline constexpr std::uint8_t k_io_range_type_32 = 0x01;     // PCI_IO_RANGE_TYPE_32
inline constexpr std::uint8_t k_io_range_mask = 0xf0;        // PCI_IO_RANGE_MASK (A15:12)
inline constexpr std::uint16_t k_memory_range_type_mask = 0x0f;  // PCI_MEMORY_RANGE_TYPE_MASK
inline constexpr std::uint16_t k_memory_range_mask = 0xfff0;     // PCI_MEMORY_RANGE_MASK (A31:20)
inline constexpr std::uint16_t k_pref_range_type_32 = 0x00;      // PCI_PREF_RANGE_TYPE_32
inline constexpr std::uint16_t k_pref_range_type_64 = 0x01;      // PCI_PREF_RANGE_TYPE_64
inline constexpr std::uint64_t k_io_window_granule = 0xfff;      // 4 KiB I/O windows
inline constexpr std::uint64_t k_memory_window_granule = 0xfffff;  // 1 MiB memory windows

// --- Type 2 (CardBus bridge) header (PC Card Standard 8.0, CardBus bridge registers) -------
inline constexpr std::size_t k_cfg_cardbus_cap_ptr = 0x14;   // PCI_CB_CAPABILITY_LIST
inline constexpr std::size_t k_cfg_cb_memory_base0 = 0x1c;   // PCI_CB_MEMORY_BASE_0 (+8: window 1)
inline constexpr std::size_t k_cfg_cb_memory_limit0 = 0x20;  // PCI_CB_MEMORY_LIMIT_0
inline constexpr std::size_t k_cfg_cb_io_base0 = 0x2c;       // PCI_CB_IO_BASE_0 (+8: window 1)
inline constexpr std::size_t k_cfg_cb_io_limit0 = 0x30;      // PCI_CB_IO_LIMIT_0
inline constexpr std::size_t k_cb_window_stride = 8;
inline constexpr std::size_t k_cfg_cb_bridge_control = 0x3e;  // PCI_CB_BRIDGE_CONTROL
inline constexpr std::uint16_t k_cb_ctl_prefetch_mem0 = 0x100;  // PCI_CB_BRIDGE_CTL_PREFETCH_MEM0 (<<1: MEM1)
inline constexpr std::uint32_t k_cb_io_32bit = 0x1;             // I/O base bit 0: 32-bit decode
inline constexpr std::uint32_t k_cb_io_range_mask = ~std::uint32_t{0x3};  // PCI_CB_IO_RANGE_MASK
inline constexpr std::size_t k_cfg_cb_subsystem_vendor = 0x40;  // PCI_CB_SUBSYSTEM_VENDOR_ID
inline constexpr std::size_t k_cfg_cb_subsystem_id = 0x42;      // PCI_CB_SUBSYSTEM_ID

// --- Capability list (PCI 3.0 6.7; PCIe 6.0 7.5.1.1.11, 7.6.3) -----------------------------
inline constexpr std::size_t k_cap_list_id = 0x00;           // PCI_CAP_LIST_ID
inline constexpr std::size_t k_cap_list_next = 0x01;         // PCI_CAP_LIST_NEXT
inline constexpr std::uint8_t k_cap_pointer_mask = 0xfc;     // pointers are dword aligned
inline constexpr std::size_t k_cfg_ext_cap_start = 0x100;    // first extended capability
inline constexpr std::size_t k_cfg_ext_space_size = 0x1000;  // PCIe extended config space
inline constexpr std::uint32_t k_ext_cap_id_mask = 0xffff;   // PCI_EXT_CAP_ID(header)
inline constexpr int k_ext_cap_version_shift = 16;           // PCI_EXT_CAP_VER(header)
inline constexpr std::uint32_t k_ext_cap_version_mask = 0xf;
inline constexpr int k_ext_cap_next_shift = 20;              // PCI_EXT_CAP_NEXT(header)
inline constexpr std::uint32_t k_ext_cap_next_mask = 0xffc;

// Capability ids (PCI Code and ID Assignment Specification 1.x, chapter 2 and 3).
inline constexpr std::uint16_t k_cap_pm = 0x01;              // PCI_CAP_ID_PM
inline constexpr std::uint16_t k_cap_msi = 0x05;             // PCI_CAP_ID_MSI
inline constexpr std::uint16_t k_cap_pcix = 0x07;            // PCI_CAP_ID_PCIX
inline constexpr std::uint16_t k_cap_exp = 0x10;             // PCI_CAP_ID_EXP
inline constexpr std::uint16_t k_cap_msix = 0x11;            // PCI_CAP_ID_MSIX
inline constexpr std::uint16_t k_cap_ea = 0x14;              // PCI_CAP_ID_EA
inline constexpr std::uint16_t k_ecap_acs = 0x0d;            // PCI_EXT_CAP_ID_ACS
inline constexpr std::uint16_t k_ecap_ari = 0x0e;            // PCI_EXT_CAP_ID_ARI
inline constexpr std::uint16_t k_ecap_sriov = 0x10;          // PCI_EXT_CAP_ID_SRIOV
inline constexpr std::uint16_t k_ecap_rebar = 0x15;          // PCI_EXT_CAP_ID_REBAR
inline constexpr std::uint16_t k_ecap_vf_rebar = 0x24;       // PCI_EXT_CAP_ID_VF_REBAR

// PCI-X capability: status bits 31:30 say 266/533 MHz, which have extended config space
// (PCI-X 2.0 7.2.4).
inline constexpr std::size_t k_pcix_status = 0x04;           // PCI_PCIX_STATUS
inline constexpr std::uint32_t k_pcix_status_266_533 = 0xc0000000U;

// --- PCI Express capability (PCIe 6.0 7.5.3) ------------------------------------------------
inline constexpr std::size_t k_exp_flags = 0x02;             // PCI_EXP_FLAGS (7.5.3.2)
inline constexpr std::uint16_t k_exp_flags_version = 0x000f;
inline constexpr int k_exp_flags_type_shift = 4;             // PCI_EXP_FLAGS_TYPE
inline constexpr std::uint16_t k_exp_flags_type_mask = 0xf;
inline constexpr std::uint16_t k_exp_flags_slot = 0x0100;    // PCI_EXP_FLAGS_SLOT
inline constexpr std::size_t k_exp_lnkcap = 0x0c;            // PCI_EXP_LNKCAP (7.5.3.6)
inline constexpr std::size_t k_exp_lnksta = 0x12;            // PCI_EXP_LNKSTA (7.5.3.8)
inline constexpr std::uint32_t k_exp_link_speed_mask = 0xf;  // ..._SPEED
inline constexpr int k_exp_link_width_shift = 4;             // ..._WIDTH
inline constexpr std::uint32_t k_exp_link_width_mask = 0x3f;
// Device/Port Type values (PCI_EXP_TYPE_*, PCIe 6.0 7.5.3.2).
inline constexpr int k_pcie_endpoint = 0x0;     // PCI_EXP_TYPE_ENDPOINT
inline constexpr int k_pcie_leg_end = 0x1;      // PCI_EXP_TYPE_LEG_END
inline constexpr int k_pcie_root_port = 0x4;    // PCI_EXP_TYPE_ROOT_PORT
inline constexpr int k_pcie_upstream = 0x5;     // PCI_EXP_TYPE_UPSTREAM
inline constexpr int k_pcie_downstream = 0x6;   // PCI_EXP_TYPE_DOWNSTREAM
inline constexpr int k_pcie_pci_bridge = 0x7;   // PCI_EXP_TYPE_PCI_BRIDGE: PCIe-to-PCI/PCI-X
inline constexpr int k_pcie_pcie_bridge = 0x8;  // PCI_EXP_TYPE_PCIE_BRIDGE: PCI/PCI-X-to-PCIe
inline constexpr int k_pcie_rc_end = 0x9;       // PCI_EXP_TYPE_RC_END
inline constexpr int k_pcie_rc_ec = 0xa;        // PCI_EXP_TYPE_RC_EC

// --- MSI-X capability (PCI 3.0 6.8.2; PCIe 6.0 7.7.2) --------------------------------------
inline constexpr std::size_t k_msix_flags = 0x02;            // PCI_MSIX_FLAGS (Message Control)
inline constexpr std::uint16_t k_msix_flags_table_size = 0x07ff;  // PCI_MSIX_FLAGS_QSIZE (N-1)
inline constexpr std::uint16_t k_msix_flags_mask_all = 0x4000;    // PCI_MSIX_FLAGS_MASKALL
inline constexpr std::uint16_t k_msix_flags_enable = 0x8000;      // PCI_MSIX_FLAGS_ENABLE
inline constexpr std::size_t k_msix_table = 0x04;            // PCI_MSIX_TABLE
inline constexpr std::size_t k_msix_pba = 0x08;              // PCI_MSIX_PBA
inline constexpr std::uint32_t k_msix_bir_mask = 0x7;        // PCI_MSIX_BIR

// --- ACS extended capability (PCIe 6.0 7.7.8) ---------------------------------------------
inline constexpr std::size_t k_acs_cap = 0x04;               // PCI_ACS_CAP
inline constexpr std::size_t k_acs_ctrl = 0x06;              // PCI_ACS_CTRL
inline constexpr std::uint16_t k_acs_sv = 0x01;              // PCI_ACS_SV source validation
inline constexpr std::uint16_t k_acs_tb = 0x02;              // PCI_ACS_TB translation blocking
inline constexpr std::uint16_t k_acs_rr = 0x04;              // PCI_ACS_RR P2P request redirect
inline constexpr std::uint16_t k_acs_cr = 0x08;              // PCI_ACS_CR P2P completion redirect
inline constexpr std::uint16_t k_acs_uf = 0x10;              // PCI_ACS_UF upstream forwarding
inline constexpr std::uint16_t k_acs_ec = 0x20;              // PCI_ACS_EC P2P egress control
inline constexpr std::uint16_t k_acs_dt = 0x40;              // PCI_ACS_DT direct translated P2P

// --- Resizable BAR extended capability (PCIe 6.0 7.8.6; VF Resizable BAR 9.3.7.5) ---------
inline constexpr std::size_t k_rebar_cap = 0x04;             // PCI_REBAR_CAP (entry 0)
inline constexpr std::size_t k_rebar_ctrl = 0x08;            // PCI_REBAR_CTRL (entry 0)
inline constexpr std::size_t k_rebar_entry_stride = 8;
inline constexpr std::uint32_t k_rebar_ctrl_bar_index = 0x7;     // PCI_REBAR_CTRL_BAR_IDX
inline constexpr int k_rebar_ctrl_nbar_shift = 5;                // PCI_REBAR_CTRL_NBAR
inline constexpr std::uint32_t k_rebar_ctrl_nbar_mask = 0x7;
inline constexpr int k_rebar_ctrl_size_shift = 8;                // PCI_REBAR_CTRL_BAR_SIZE
inline constexpr std::uint32_t k_rebar_ctrl_size_mask = 0x3f;

// --- SR-IOV extended capability (PCIe 6.0 9.3.3) -------------------------------------------
inline constexpr std::size_t k_sriov_ctrl = 0x08;            // PCI_SRIOV_CTRL
inline constexpr std::uint16_t k_sriov_ctrl_vfe = 0x1;       // PCI_SRIOV_CTRL_VFE
inline constexpr std::uint16_t k_sriov_ctrl_mse = 0x8;       // PCI_SRIOV_CTRL_MSE
inline constexpr std::size_t k_sriov_initial_vf = 0x0c;      // PCI_SRIOV_INITIAL_VF
inline constexpr std::size_t k_sriov_total_vf = 0x0e;        // PCI_SRIOV_TOTAL_VF
inline constexpr std::size_t k_sriov_num_vf = 0x10;          // PCI_SRIOV_NUM_VF
inline constexpr std::size_t k_sriov_vf_offset = 0x14;       // PCI_SRIOV_VF_OFFSET
inline constexpr std::size_t k_sriov_vf_stride = 0x16;       // PCI_SRIOV_VF_STRIDE
inline constexpr std::size_t k_sriov_vf_did = 0x1a;          // PCI_SRIOV_VF_DID
inline constexpr std::size_t k_sriov_bar = 0x24;             // PCI_SRIOV_BAR (6 VF BARs)
inline constexpr std::size_t k_sriov_size = 0x40;            // the capability's bytes

} // namespace memmap::pci
