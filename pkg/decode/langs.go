package decode

import "unicode"

// The letters of the languages Detect knows, as text in them uses them:
// for an alphabet, its letters that are not ASCII, lower case, the most
// frequent first (rough orders, from letter frequencies of each language);
// for Chinese, Japanese and Korean, the characters most frequent in text,
// the most frequent first, and which whole blocks belong to the language.
// Detect weighs a character by its rank (see language.weight).
var languageLetters = map[string]string{
	// Latin script.
	"fr": "éèàçêâôîûùëïœüÿæ",
	"de": "üäößé",
	"es": "óíáéñúü",
	"pt": "ãçéáêóõíúâôàü",
	"it": "àèìòùéóíúî",
	"nl": "ëéïöüèáó",
	"sv": "äåöé",
	"fi": "äöåšž",
	"da": "æøåé",
	"no": "øåæéóòô",
	"is": "áðíóéúþæýö",
	"ca": "àèéòóíçúïü",
	"cs": "íáéýěčřžšůúňťďó",
	"sk": "áíéýčžšúľôňťäďóŕĺ",
	"pl": "óęąśłżćńź",
	"hu": "éáöőóüíúű",
	"ro": "ăîșțâşţ",
	"hr": "čšžćđ",
	"sl": "čšž",
	"sq": "ëç",
	"tr": "ıışçğüöâîû",
	"lt": "ėšųįžąčūę",
	"lv": "āīēšūņķžčļģ",
	"et": "äõüöšž",
	// Other alphabets.
	"ru": "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
	"uk": "оанівретсклудмпязьгбчхжцйшюїєщфґ",
	"bg": "аоеинтрсвлкдпмзугяъбчжйхцшщюьф",
	"sr": "аиоенрстјвкдлупмзгбчшцхћњжљђџф",
	"mk": "аеионтрсвкдлпумзјгбчшцжхњќѓљџѕф",
	"be": "аоныіертсвкдлмупзягбчьцўшйхжюэёф",
	"el": "αοιετνσςπκυρμληωδγθφχβξψζάέίόήύώϊϋΐΰ",
	"he": "יוהלמארתבשנםעדכחקפןסגזצטךףץ",
	"ar": "اليمونرتبعهدفكسقحجةىشصطخضزثذغظءأإآؤئ",
	"th": "านรอกเงมยลวดทสตะิบคหีัุ่ขพใ้ไปแจชโผซถฉฐฑฒณญฎฏฆธภศษฬฤฦำื็๊๋์ูึ",
	// Chinese, Japanese, Korean: frequent characters.
	"zh-hans": "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严",
	"zh-hant": "的一是不了在人有我他這個們中來上大為和國地到以說時要就出會可也你對生能而子那得於著下自之年過發後作裡用道行所然家種事成方多經麼去法學如都同現當沒動面起看定天分還進好小部其些主樣理心她本前開但因只從想實日軍者意無力它與長把機十民第公此已工使情明性知全三又關點正業外將兩高間由問很最重並物手應戰向頭文體政美相見被利什二等產或新己制身果加西斯月話合回特代內信表化老給世位次度門任常先海通教兒原東聲提立及比員解水名真論處走義各入幾口認條平系氣題活爾更別打女變四神總何電數安少報才結反受目太量再感建務做接必場件計管期市直德資命山金指克許統區保至隊形社便空決治展馬科司五基眼書非則聽白卻界達光放強即像難且權思王象完設式色路記南品住告類求據程北邊死張該交規萬取拉格望覺術領共確傳師觀清今切院讓識候帶導爭運笑飛風步改收根干造言聯持組每濟車親極林服快辦議往元英士證近失轉夫令準布始怎呢存未遠叫台單影具羅字愛擊流備兵連調深商質團集百需價花黨華城石級整府離況亞請技際約示復病息究線似官火斷精滿支視消越器容照須九增研寫稱企八功嗎包片史委乎查輕易早曾除農找裝廣顯",
	"ja":      "のにはをたがでてとしれさあるいかもなうこっすんきまられ日一国人年大十二本中長出三時行見月分後前生五間上東四今金九入学高円子外八六下来気小七山話女北午百書先名川千水半男西電校語土木聞食車何南万毎白天母火右読友左休父雨会同事自社発者地業方新場員立開手力問代明動京目通言理体田主題意不作用度強公持野以思家世多正安院心界教文元重近考画海売知道集別物使品計死特私始朝運終台広住無真有口少町料工建空急止送切転研足究楽起着店病質待試族銀早映親験英医仕去味写字答夜音注帰古歌買悪図週室歩風紙黒花春赤青館屋色走秋夏習駅洋旅服夕借曜飲肉貸堂鳥飯勉冬昼茶弟牛魚兄犬妹姉漢",
	"ko":      "이다는의에하고가을를지한서기사로으리도자어나있인대수시일정아국해것들적전주게상장없제보부만우과라면성조소여내생동원문유중되위경계등년그않분때개신학관공물세모화요실영연말진오스비호저미발법결방구무안식음월선까치야단체했마든행심교녀점금간명현알통민강김청",
}

// language is one language of languageLetters, ready for Detect.
type language struct {
	name   string
	weight map[rune]float64
	// blocks are whole Unicode ranges of the language's writing, at
	// blockWeight (kana in Japanese, Hangul in Korean, CJK ideographs in
	// Chinese and Japanese), and punctuation it uses.
	blocks      []*unicode.RangeTable
	blockWeight float64
}

// languages maps each name of languageLetters to its language.
var languages = func() map[string]*language {
	m := map[string]*language{}
	for name, letters := range languageLetters {
		l := &language{name: name, weight: map[rune]float64{}}
		rs := []rune(letters)
		for i, r := range rs {
			if _, dup := l.weight[r]; !dup {
				l.weight[r] = rankWeight(i, len(rs))
			}
		}
		switch name {
		case "ja":
			l.blocks = []*unicode.RangeTable{unicode.Hiragana, unicode.Katakana, unicode.Han, cjkPunctuation}
			l.blockWeight = 0.5
		case "zh-hans", "zh-hant":
			l.blocks = []*unicode.RangeTable{unicode.Han, cjkPunctuation}
			l.blockWeight = 0.4
		case "ko":
			l.blocks = []*unicode.RangeTable{unicode.Hangul, cjkPunctuation}
			l.blockWeight = 0.8
		case "th":
			l.blocks = []*unicode.RangeTable{unicode.Thai}
			l.blockWeight = 0.5
		case "he":
			l.blocks = []*unicode.RangeTable{unicode.Hebrew} // points and marks
			l.blockWeight = 0.5
		case "ar":
			l.blocks = []*unicode.RangeTable{unicode.Arabic}
			l.blockWeight = 0.5
		}
		m[name] = l
	}
	return m
}()

// cjkPunctuation is the punctuation of CJK text: its symbols and
// punctuation block, and full-width ASCII.
var cjkPunctuation = &unicode.RangeTable{R16: []unicode.Range16{
	{Lo: 0x3000, Hi: 0x303F, Stride: 1},
	{Lo: 0xFF01, Hi: 0xFF5E, Stride: 1},
}}

// rankWeight is the weight of the letter of rank i (from 0, the most
// frequent) among n: from 1 for the first down to 0.2 for the last.
func rankWeight(i, n int) float64 {
	return 1 - 0.8*float64(i)/float64(n)
}

// of returns how much the character r (a letter or mark) belongs to text
// in l, from 0 to 1.
func (l *language) of(r rune) float64 {
	if w, ok := l.weight[unicode.ToLower(r)]; ok {
		return w
	}
	for _, b := range l.blocks {
		if unicode.Is(b, r) {
			return l.blockWeight
		}
	}
	return 0
}
